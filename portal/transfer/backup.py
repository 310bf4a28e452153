"""Backups: every table to JSON Lines and back, streamed both ways.

File format (`converge.backup/1`), one JSON document per line:

    {"format": "converge.backup/1", "created_at": "...", "tables": ["departments", ...]}
    {"table": "departments", "columns": ["id", "name", ...]}
    [1, "Finance", ...]                      <- one line per row, values in column order
    ...

Dates and datetimes are ISO 8601 strings, JSON columns are JSON, enums their values.
Tables come in dependency order; self-references (e.g. ideas.merged_into_id) are written
after all rows of the table. Importing needs an empty database with the current schema;
on PostgreSQL the id sequences are moved past the imported ids.
"""

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import IO

import sqlalchemy as sa

from portal.errors import PortalError
from portal.extensions import db
from portal.models import utcnow

FORMAT = "converge.backup/1"
BATCH = 1000


class BackupError(PortalError):
    """The file is not a backup this portal can read, or the database is not empty."""


def _tables() -> list[sa.Table]:
    return list(db.metadata.sorted_tables)


def _encode(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value, str):  # StrEnum member
        return value.value
    return value


def _decoder(column: sa.Column) -> Callable:
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if isinstance(kind, sa.Date):
        return lambda v: None if v is None else date.fromisoformat(v)
    if isinstance(kind, sa.Enum) and kind.enum_class is not None:
        enum_class = kind.enum_class
        return lambda v: None if v is None else enum_class(v)
    return lambda v: v


def _self_references(table: sa.Table) -> list[str]:
    return [c.name for c in table.columns if any(fk.column.table is table for fk in c.foreign_keys)]


def export_data(out: IO[str], progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Write every table to `out`; returns rows written per table."""
    tables = _tables()
    header = {
        "format": FORMAT,
        "created_at": utcnow().isoformat(),
        "tables": [t.name for t in tables],
    }
    out.write(json.dumps(header) + "\n")
    counts = {}
    connection = db.session.connection()
    for table in tables:
        columns = [c.name for c in table.columns]
        out.write(json.dumps({"table": table.name, "columns": columns}) + "\n")
        order = list(table.primary_key.columns) or list(table.columns)
        result = connection.execute(
            sa.select(*table.columns).order_by(*order).execution_options(yield_per=BATCH)
        )
        n = 0
        for row in result:
            out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")
            n += 1
        counts[table.name] = n
        if progress:
            progress(table.name, n)
    return counts


def is_empty() -> bool:
    connection = db.session.connection()
    return all(
        connection.execute(sa.select(sa.literal(1)).select_from(t).limit(1)).first() is None
        for t in _tables()
    )


def _lines(source: Iterable[str]):
    for number, line in enumerate(source, start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise BackupError(f"Line {number} is not JSON ({exc.msg}).") from None


def import_data(
    source: Iterable[str], progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Load a backup into the empty database (caller commits; rolls back on error)."""
    if not is_empty():
        raise BackupError(
            "The database is not empty: import a backup only into a new, migrated database."
        )
    known = {t.name: t for t in _tables()}
    lines = _lines(source)
    first = next(lines, None)
    if first is None or not isinstance(first[1], dict) or first[1].get("format") != FORMAT:
        raise BackupError(f"Not a Converge backup (the first line must name format {FORMAT}).")
    connection = db.session.connection()
    counts: dict[str, int] = {}
    state: dict = {}

    def flush_table() -> None:
        table = state.get("table")
        if table is None:
            return
        if state["batch"]:
            connection.execute(table.insert(), state["batch"])
        for key, updates in state["deferred"].items():
            pk = list(table.primary_key.columns)[0]
            for row_id, value, kept in updates:
                # keep columns with an `onupdate` (e.g. updated_at) as they were exported
                connection.execute(table.update().where(pk == row_id).values({key: value, **kept}))
        counts[table.name] = state["count"]
        if progress:
            progress(table.name, state["count"])
        state.clear()

    try:
        for number, item in lines:
            if isinstance(item, dict) and "table" in item:
                flush_table()
                table = known.get(item["table"])
                if table is None:
                    raise BackupError(f"Line {number}: unknown table '{item['table']}'.")
                columns = item.get("columns") or []
                missing = set(columns) - set(table.columns.keys())
                if missing:
                    raise BackupError(
                        f"Line {number}: table {table.name} has no column(s) "
                        f"{', '.join(sorted(missing))}."
                    )
                self_refs = [c for c in _self_references(table) if c in columns]
                state.update(
                    table=table,
                    columns=columns,
                    decoders=[_decoder(table.columns[c]) for c in columns],
                    self_refs=self_refs,
                    deferred={c: [] for c in self_refs},
                    pk=[c.name for c in table.primary_key.columns],
                    batch=[],
                    count=0,
                )
                continue
            if not state or not isinstance(item, list):
                raise BackupError(f"Line {number}: a row outside a table.")
            if len(item) != len(state["columns"]):
                raise BackupError(
                    f"Line {number}: {len(item)} values for {len(state['columns'])} columns."
                )
            try:
                row = {
                    c: dec(v)
                    for c, dec, v in zip(state["columns"], state["decoders"], item, strict=True)
                }
            except (TypeError, ValueError) as exc:
                raise BackupError(f"Line {number}: a value could not be read ({exc}).") from None
            for column in state["self_refs"]:
                if row[column] is not None:
                    kept = {
                        c.name: row[c.name]
                        for c in state["table"].columns
                        if c.onupdate is not None and c.name in row
                    }
                    state["deferred"][column].append((row[state["pk"][0]], row[column], kept))
                    row[column] = None
            state["batch"].append(row)
            state["count"] += 1
            if len(state["batch"]) >= BATCH:
                connection.execute(state["table"].insert(), state["batch"])
                state["batch"] = []
        flush_table()
        if connection.dialect.name == "postgresql":
            reset_sequences(connection)
    except sa.exc.DBAPIError as exc:
        db.session.rollback()
        raise BackupError(f"The database refused the data: {exc.orig}") from None
    except BaseException:
        db.session.rollback()
        raise
    return counts


def reset_sequences(connection) -> None:
    """Move each serial id sequence past the largest id (PostgreSQL)."""
    for table in _tables():
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer):
            continue
        sequence = connection.execute(
            sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name}
        ).scalar()
        if sequence:
            connection.execute(
                sa.text(
                    f'SELECT setval(:s, COALESCE((SELECT MAX("{pk[0].name}") '
                    f'FROM "{table.name}"), 0) + 1, false)'
                ),
                {"s": sequence},
            )
