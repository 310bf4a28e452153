"""CSV import of ideas (checked row by row, imported all or nothing) and CSV exports.

Files are read as a stream (csv module, one row at a time) so a spreadsheet of any length
needs little memory. Columns (header names, any order, case-insensitive):

    title*, problem*, proposal*, expected_benefit*, department*, submitter_email, objectives
    (names separated by ';'), submitted_on (YYYY-MM-DD), estimated_cost (number),
    cost_period (e.g. 2027; default the year submitted), value_over_time (period: weight,
    e.g. "2027: 1; 2028: 3"), run_cost_per_year (number), lifetime_years (whole number)

Each row fills the starred columns within the idea form's and the API's rules
(portal.ideas.rules). Other columns are ignored (so an export of ideas imports again).
Imported ideas are submitted for review by their submitter (the importer when no e-mail is
given) through the workflow; an `estimated_cost` becomes a first estimate by the importer
for a BRM to refine. Rows go in through the services' bulk operations (`create_ideas`,
`save_first_estimates`), so the same rules hold and the same audit events are written as
for ideas entered by hand.
"""

import csv
import io
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from portal.errors import PortalError
from portal.extensions import db
from portal.ideas.rules import idea_problems
from portal.ideas.service import IdeaFilters, IdeaInput, NewIdea, create_ideas, search_query
from portal.models import (
    MAX_AMOUNT,
    Confidence,
    Department,
    Estimate,
    Idea,
    IdeaStatus,
    StrategicObjective,
    Touchpoint,
    User,
)
from portal.models.ideas import idea_objectives
from portal.periods import HELP as PERIOD_HELP
from portal.periods import Period
from portal.review import rules as estimate_rules
from portal.review.estimates import EstimateInput, save_first_estimates
from portal.review.service import covered_department_ids
from portal.spreadsheets import CsvWriter, unquote_cell

REQUIRED = ("title", "problem", "proposal", "expected_benefit", "department")
OPTIONAL = (
    "submitter_email",
    "objectives",
    "submitted_on",
    "estimated_cost",
    "cost_period",
    "value_over_time",
    "run_cost_per_year",
    "lifetime_years",
)
MAX_PROBLEMS_KEPT = 500
BATCH = 1000

Progress = Callable[[int], None] | None


class ImportRefused(PortalError):
    """The file has problems; nothing was imported."""

    status_code = 422

    def __init__(self, result: "CheckResult"):
        super().__init__(f"{result.problem_count} problem(s) found; nothing was imported.")
        self.result = result


@dataclass
class RowProblem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str


@dataclass
class CheckResult:
    rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0
    bad_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    sample: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0 and self.rows > 0

    def add(self, problem: RowProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem)


@dataclass
class RowData:
    title: str
    problem: str
    proposal: str
    expected_benefit: str
    department_id: int
    submitter_id: int
    objective_ids: list[int]
    submitted_on: date | None
    estimated_cost: float | None
    cost_period: str | None
    value_profile: dict[str, float] = field(default_factory=dict)
    run_cost_per_year: float = 0.0
    lifetime_years: int = 0

    @property
    def has_estimate(self) -> bool:
        return (
            self.estimated_cost is not None
            or bool(self.value_profile)
            or bool(self.run_cost_per_year)
        )


def _open(path: Path):
    return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 (caller closes)


def _reader(handle) -> csv.DictReader:
    head = handle.read(8192)
    handle.seek(0)
    try:
        dialect = csv.Sniffer().sniff(head, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.DictReader(handle, dialect=dialect)


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {lower-case column: stripped text}) for each non-empty row;
    the apostrophe an export puts before formula-like text is taken off again."""
    with _open(path) as handle:
        reader = _reader(handle)
        for row in reader:
            if not any((v or "").strip() for k, v in row.items() if k is not None):
                continue
            cleaned = {
                (k or "").strip().lower(): unquote_cell((v or "").strip())
                for k, v in row.items()
                if k is not None and isinstance(v, str)
            }
            yield reader.line_num, cleaned


def count_rows(path: Path) -> int:
    return sum(1 for _ in read_rows(path))


class Resolver:
    """Looks names up once: departments, users by e-mail, objectives."""

    def __init__(self, importer: User):
        self.importer_id = importer.id
        self.departments = {
            name.lower(): did
            for did, name in db.session.execute(sa.select(Department.id, Department.name))
        }
        self.objectives = {
            name.lower(): oid
            for oid, name in db.session.execute(
                sa.select(StrategicObjective.id, StrategicObjective.name).where(
                    StrategicObjective.active
                )
            )
        }
        self.users: dict[str, int | None] = {}

    def user(self, email: str) -> int | None:
        key = email.lower()
        if key not in self.users:
            self.users[key] = db.session.scalar(
                sa.select(User.id).where(sa.func.lower(User.email) == key, User.active)
            )
        return self.users[key]

    def row(self, number: int, raw: dict[str, str], result: CheckResult) -> RowData | None:
        """Validate one row; add its problems to `result` and return None when it has any."""
        before = result.problem_count

        def problem(column: str, message: str) -> None:
            result.add(RowProblem(number, column, message))

        for column, message in idea_problems(raw).items():
            problem(column, message)
        department = raw.get("department", "")
        department_id = self.departments.get(department.lower())
        if not department:
            problem("department", "missing department")
        elif department_id is None:
            problem("department", f"unknown department '{department}'")
        submitter_id = self.importer_id
        if email := raw.get("submitter_email", ""):
            submitter_id = self.user(email)
            if submitter_id is None:
                problem("submitter_email", f"no active user with e-mail '{email}'")
        objective_ids = []
        for name in filter(None, (n.strip() for n in raw.get("objectives", "").split(";"))):
            oid = self.objectives.get(name.lower())
            if oid is None:
                problem("objectives", f"unknown objective '{name}'")
            elif oid not in objective_ids:
                objective_ids.append(oid)
        submitted_on = None
        if text_date := raw.get("submitted_on", ""):
            try:
                submitted_on = date.fromisoformat(text_date)
            except ValueError:
                problem("submitted_on", f"bad date '{text_date}' (use YYYY-MM-DD)")
        estimated_cost = None
        if text_cost := raw.get("estimated_cost", ""):
            try:
                estimated_cost = float(text_cost.replace(" ", ""))
            except ValueError:
                problem("estimated_cost", f"bad number '{text_cost}'")
            else:
                if not 0 <= estimated_cost <= MAX_AMOUNT:
                    problem(
                        "estimated_cost",
                        f"bad number '{text_cost}' (0 to {MAX_AMOUNT:,.0f})",
                    )
        cost_period = raw.get("cost_period", "") or None
        if cost_period and not Period.is_valid(cost_period):
            problem("cost_period", f"bad period '{cost_period}' (use {PERIOD_HELP})")
        profile: dict[str, float] = {}
        try:
            profile = estimate_rules.parse_profile(raw.get("value_over_time", ""))
        except ValueError as exc:
            problem("value_over_time", str(exc))
        run_cost, lifetime = 0.0, 0
        text_run, text_life = raw.get("run_cost_per_year", ""), raw.get("lifetime_years", "")
        try:
            run_cost = float(text_run.replace(" ", "")) if text_run else 0.0
            lifetime = int(text_life) if text_life else 0
        except ValueError:
            problem("run_cost_per_year", f"bad number '{text_run}' or '{text_life}'")
        else:
            if not math.isfinite(run_cost):
                problem("run_cost_per_year", f"bad number '{text_run}'")
            elif why := estimate_rules.run_cost_problem(run_cost, lifetime):
                problem("run_cost_per_year", why)
        if result.problem_count > before:
            result.bad_rows += 1
            return None
        return RowData(
            title=raw["title"],
            problem=raw["problem"],
            proposal=raw["proposal"],
            expected_benefit=raw["expected_benefit"],
            department_id=department_id,
            submitter_id=submitter_id,
            objective_ids=objective_ids,
            submitted_on=submitted_on,
            estimated_cost=estimated_cost,
            cost_period=cost_period,
            value_profile=profile,
            run_cost_per_year=run_cost,
            lifetime_years=lifetime,
        )


def _check_header(path: Path, result: CheckResult) -> bool:
    try:
        with _open(path) as handle:
            header = [(h or "").strip().lower() for h in (_reader(handle).fieldnames or [])]
    except UnicodeDecodeError:
        result.add(RowProblem(1, "", "the file is not UTF-8 text (save it as CSV UTF-8)"))
        return False
    except csv.Error as exc:
        result.add(RowProblem(1, "", f"not a readable CSV file ({exc})"))
        return False
    missing = [c for c in REQUIRED if c not in header]
    for column in missing:
        result.add(RowProblem(1, column, f"the header has no '{column}' column"))
    result.ignored_columns = [h for h in header if h and h not in REQUIRED + OPTIONAL]
    return not missing


def _rows(path: Path, result: CheckResult) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        yield from read_rows(path)
    except UnicodeDecodeError as exc:
        result.add(RowProblem(0, "", f"the file is not UTF-8 text ({exc.reason})"))
    except csv.Error as exc:
        result.add(RowProblem(0, "", f"the CSV could not be read ({exc})"))


def check_file(
    path: Path, importer: User, progress: Progress = None, sample: int = 10
) -> CheckResult:
    """Read the whole file and list every row's problems; change nothing."""
    result = CheckResult()
    if not _check_header(path, result):
        return result
    resolver = Resolver(importer)
    for number, raw in _rows(path, result):
        result.rows += 1
        data = resolver.row(number, raw, result)
        if data is not None and len(result.sample) < sample:
            result.sample.append({"row": number, **raw})
        if progress:
            progress(1)
    if result.rows == 0 and result.problem_count == 0:
        result.add(RowProblem(2, "", "the file has no rows to import"))
    return result


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def _store(batch: list[RowData], importer: User, users: dict[int, User]) -> None:
    """Create, submit and estimate one batch of rows through the services, then let go of
    what was written so memory stays flat over any number of rows."""
    present = {id(obj) for obj in db.session}
    ideas = create_ideas(
        [
            NewIdea(
                users[data.submitter_id],
                IdeaInput(
                    title=data.title,
                    problem=data.problem,
                    proposal=data.proposal,
                    expected_benefit=data.expected_benefit,
                    department_id=data.department_id,
                    objective_ids=data.objective_ids,
                ),
                _midnight(data.submitted_on) if data.submitted_on else None,
            )
            for data in batch
        ],
        submit=True,  # by each idea's submitter, as the audit trail records
    )
    estimates = [
        (idea, _first_estimate(data))
        for idea, data in zip(ideas, batch, strict=True)
        if data.has_estimate
    ]
    save_first_estimates(importer, estimates)
    db.session.flush()
    for obj in list(db.session):
        if id(obj) not in present and obj in db.session:  # expunging cascades to children
            db.session.expunge(obj)


def _first_estimate(data: RowData) -> EstimateInput:
    """The estimate a row's `estimated_cost` stands for: all of it capex in one period."""
    period = data.cost_period or str((data.submitted_on or date.today()).year)
    return EstimateInput(
        impacts={},
        value_low=1.0,
        value_likely=1.0,
        value_high=1.0,
        risk=0.0,
        confidence=Confidence.MEDIUM,
        notes="Imported from CSV.",
        costs={period: (data.estimated_cost, 0.0)} if data.estimated_cost is not None else {},
        value_profile=data.value_profile,
        run_cost_per_year=data.run_cost_per_year,
        lifetime_years=data.lifetime_years,
    )


def import_file(path: Path, importer: User, progress: Progress = None) -> int:
    """Import every row, or nothing: the first problem rolls everything back and raises
    ImportRefused (call `check_file` first to list them all). The caller commits."""
    result = CheckResult()
    if not _check_header(path, result):
        raise ImportRefused(result)
    resolver = Resolver(importer)
    users: dict[int, User] = {importer.id: importer}
    batch: list[RowData] = []
    count = 0
    try:
        for number, raw in _rows(path, result):
            data = resolver.row(number, raw, result)
            if data is None:
                break
            if data.submitter_id not in users:
                users[data.submitter_id] = db.session.get(User, data.submitter_id)
            batch.append(data)
            count += 1
            if len(batch) >= BATCH:
                _store(batch, importer, users)
                batch = []
            if progress:
                progress(1)
        if result.problem_count:
            raise ImportRefused(result)
        if count == 0:
            result.add(RowProblem(2, "", "the file has no rows to import"))
            raise ImportRefused(result)
        if batch:
            _store(batch, importer, users)
    except BaseException:
        db.session.rollback()
        raise
    return count


# ------------------------------------------------------------------ exports


def _csv_lines(header: list[str], rows) -> Iterator[str]:
    """The CSV text of an export, in chunks; cells never run as formulas."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


IDEA_COLUMNS = [
    "reference",
    "title",
    "problem",
    "proposal",
    "expected_benefit",
    "department",
    "submitter_email",
    "objectives",
    "submitted_on",
    "status",
    "votes",
    "created_at",
]


def exported_ideas(viewer: User) -> sa.Select:
    """The ideas an export shows `viewer`: those the idea list shows them (the same query),
    without drafts (not even their own: an export is for others to read)."""
    return (
        search_query(viewer, IdeaFilters())
        .where(Idea.status != IdeaStatus.DRAFT)
        .order_by(None)
        .order_by(Idea.id)
    )


def export_ideas(viewer: User) -> Iterator[str]:
    """The ideas `viewer` may browse, except drafts, in the import's column names (plus
    reference and status)."""
    departments = dict(db.session.execute(sa.select(Department.id, Department.name)).all())
    emails = dict(db.session.execute(sa.select(User.id, User.email)).all())
    objectives = dict(
        db.session.execute(sa.select(StrategicObjective.id, StrategicObjective.name)).all()
    )
    links: dict[int, list[str]] = {}
    for idea_id, oid in db.session.execute(sa.select(idea_objectives).order_by("idea_id")):
        links.setdefault(idea_id, []).append(objectives[oid])
    query = exported_ideas(viewer).execution_options(yield_per=500)

    def rows():
        for idea in db.session.scalars(query):
            yield [
                idea.reference,
                idea.title,
                idea.problem,
                idea.proposal,
                idea.expected_benefit,
                departments[idea.department_id],
                emails.get(idea.submitter_id),
                "; ".join(sorted(links.get(idea.id, []))),
                idea.submitted_at.date().isoformat() if idea.submitted_at else None,
                idea.status.value,
                idea.vote_count,
                idea.created_at.isoformat(timespec="seconds"),
            ]

    return _csv_lines(IDEA_COLUMNS, rows())


def export_estimates(viewer: User) -> Iterator[str]:
    """Every estimate version of the ideas `viewer` may export (`exported_ideas`): ranges,
    risk, impacts per objective and cost per period. Only reviewers read estimates (the
    route checks, as the estimate page does)."""
    from portal.review.valuation import (
        active_weights,
        estimate_lifecycle,
        reference_rate,
        strategic_value,
    )

    emails = dict(db.session.execute(sa.select(User.id, User.email)).all())
    objectives = dict(
        db.session.execute(sa.select(StrategicObjective.id, StrategicObjective.name)).all()
    )
    weights = active_weights()
    query = (
        sa.select(Estimate, Idea.title)
        .join(Idea, Idea.id == Estimate.idea_id)
        .where(Estimate.idea_id.in_(exported_ideas(viewer).with_only_columns(Idea.id)))
        .order_by(Estimate.idea_id, Estimate.version)
        .options(selectinload(Estimate.impacts), selectinload(Estimate.costs))
    )
    header = [
        "idea", "title", "version", "current", "author_email", "created_at", "strategic_value",
        "value_low", "value_likely", "value_high", "risk", "confidence", "impacts",
        "capex_total", "opex_total", "costs", "value_over_time", "run_cost_per_year",
        "lifetime_years", "tco", "npv_cost", "notes",
    ]  # fmt: skip
    rate = reference_rate()[0]

    def rows():
        for estimate, title in db.session.execute(query):
            impacts = {i.objective_id: i.impact for i in estimate.impacts}
            life = estimate_lifecycle(estimate, weights, rate)
            yield [
                f"IDEA-{estimate.idea_id}",
                title,
                estimate.version,
                "yes" if estimate.is_current else "no",
                emails.get(estimate.author_id),
                estimate.created_at.isoformat(timespec="seconds"),
                round(strategic_value(impacts, weights), 2),
                estimate.value_low,
                estimate.value_likely,
                estimate.value_high,
                estimate.risk,
                estimate.confidence.value,
                "; ".join(f"{objectives[o]}={v}" for o, v in sorted(impacts.items())),
                sum(c.capex for c in estimate.costs),
                sum(c.opex for c in estimate.costs),
                "; ".join(f"{c.period}={c.capex:g}+{c.opex:g}" for c in estimate.costs),
                estimate_rules.format_profile(estimate.value_profile or {}).replace(",", ";"),
                estimate.run_cost_per_year,
                estimate.lifetime_years,
                round(life.tco, 2),
                round(life.present_cost, 2),
                estimate.notes,
            ]

    return _csv_lines(header, rows())


def export_touchpoints(viewer: User) -> Iterator[str]:
    """The touchpoints of the departments whose pages `viewer` may open: the departments
    they cover (all of them for a portfolio manager, none for anyone else)."""
    covered = covered_department_ids(viewer)
    query = sa.select(Touchpoint)
    if covered is not None:
        query = query.where(Touchpoint.department_id.in_(covered))
    query = query.order_by(Touchpoint.held_on, Touchpoint.id).options(
        selectinload(Touchpoint.ideas),
        joinedload(Touchpoint.brm),
        joinedload(Touchpoint.department),
    )
    header = ["held_on", "brm", "brm_email", "department", "kind", "notes", "ideas"]

    def rows():
        for tp in db.session.scalars(query):
            yield [
                tp.held_on.isoformat(),
                tp.brm.name,
                tp.brm.email,
                tp.department.name,
                tp.kind.value,
                tp.notes,
                "; ".join(i.reference for i in sorted(tp.ideas, key=lambda i: i.id)),
            ]

    return _csv_lines(header, rows())
