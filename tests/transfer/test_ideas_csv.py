"""CSV import: preview with problems by row and column, all or nothing; CSV exports."""

import codecs
import csv
import io
from datetime import datetime

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.ideas import rules
from portal.models import (
    AuditEvent,
    Estimate,
    Follow,
    Idea,
    IdeaStatus,
    Touchpoint,
    TouchpointKind,
)
from portal.transfer import ideas_csv
from tests.transfer.conftest import good_row


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_check_lists_every_problem_by_row_and_column(app, pm, write_csv, make_objective):
    make_objective("Growth")
    path = write_csv(
        [
            good_row(1),
            good_row(2, department="Marketing"),
            good_row(3, title=""),
            good_row(4, estimated_cost="12k", objectives="Growth; Fun"),
            good_row(5, submitted_on="31/12/2025", submitter_email="nobody@x.example"),
        ]
    )
    result = ideas_csv.check_file(path, pm)
    found = {(p.row, p.column, p.message) for p in result.problems}
    assert found == {
        (3, "department", "unknown department 'Marketing'"),
        (4, "title", "Title is required."),
        (5, "estimated_cost", "bad number '12k'"),
        (5, "objectives", "unknown objective 'Fun'"),
        (6, "submitted_on", "bad date '31/12/2025' (use YYYY-MM-DD)"),
        (6, "submitter_email", "no active user with e-mail 'nobody@x.example'"),
    }
    assert (result.rows, result.bad_rows, result.ok) == (5, 4, False)
    assert _count(Idea) == 0


def test_missing_columns_and_bad_encoding(app, pm, write_csv, tmp_path):
    result = ideas_csv.check_file(write_csv([{"name": "x", "department": "Finance"}]), pm)
    assert {p.column for p in result.problems} == {
        "title",
        "problem",
        "proposal",
        "expected_benefit",
    }
    latin = tmp_path / "latin.csv"
    latin.write_bytes("title,problem,department\nCaf\xe9 idea,x,Finance\n".encode("latin-1"))
    result = ideas_csv.check_file(latin, pm)
    assert not result.ok and "UTF-8" in result.problems[0].message


def test_import_is_all_or_nothing(app, pm, write_csv, monkeypatch):
    monkeypatch.setattr(ideas_csv, "BATCH", 10)
    rows = [good_row(n) for n in range(1, 26)] + [good_row(26, estimated_cost="abc")]
    path = write_csv(rows)
    try:
        ideas_csv.import_file(path, pm)
    except ideas_csv.ImportRefused as exc:
        assert exc.result.problems[0].row == 27
    else:  # pragma: no cover
        raise AssertionError("a bad row must refuse the import")
    db.session.commit()
    assert _count(Idea) == 0 and _count(AuditEvent) == 0


def test_import_creates_submitted_ideas(app, pm, employee, write_csv, make_objective, monkeypatch):
    monkeypatch.setattr(ideas_csv, "BATCH", 2)
    growth = make_objective("Growth")
    path = write_csv(
        [
            good_row(1, submitter_email=employee.email.upper(), objectives="growth"),
            good_row(2, estimated_cost="1 500.50", cost_period="2027", submitted_on="2025-06-30"),
            good_row(3),
        ],
        delimiter=";",
    )
    assert ideas_csv.import_file(path, pm) == 3
    db.session.commit()
    ideas = list(db.session.scalars(sa.select(Idea).order_by(Idea.id)))
    assert [i.status for i in ideas] == [IdeaStatus.SUBMITTED] * 3
    assert ideas[0].submitter_id == employee.id and ideas[0].objectives == [growth]
    assert ideas[1].submitter_id == pm.id
    assert ideas[1].submitted_at == datetime(2025, 6, 30)
    estimate = db.session.scalar(sa.select(Estimate))
    assert estimate.idea_id == ideas[1].id and estimate.total_cost == 1500.5
    assert estimate.costs[0].period == "2027"
    submits = db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "status_change")
    )
    assert submits == 3


def test_upload_preview_and_confirm(pm_client, write_csv):
    bad = write_csv([good_row(1), good_row(2, department="Nowhere")], name="bad.csv")
    response = pm_client.post(
        "/transfer/import",
        data={"file": (bad.open("rb"), "bad.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    preview = pm_client.get(preview_url)
    assert preview.status_code == 422
    text = preview.get_data(as_text=True)
    assert "unknown department &#39;Nowhere&#39;" in text and "Import all" not in text
    # even posted directly, a bad file imports nothing
    assert pm_client.post(preview_url).status_code == 422
    assert _count(Idea) == 0

    good = write_csv([good_row(1), good_row(2)], name="good.csv")
    response = pm_client.post(
        "/transfer/import",
        data={"file": (good.open("rb"), "good.csv")},
        content_type="multipart/form-data",
    )
    preview_url = response.headers["Location"]
    preview = pm_client.get(preview_url)
    assert preview.status_code == 200 and b"Import all 2 ideas" in preview.data
    assert pm_client.post(preview_url).status_code == 302
    assert _count(Idea) == 2
    assert pm_client.post(preview_url).status_code == 404  # the upload is used up


def test_upload_needs_a_file_and_the_right_role(pm_client, brm_client, employee_client, write_csv):
    assert pm_client.post("/transfer/import", data={}).status_code == 400
    path = write_csv([good_row(1)])
    for client in (brm_client, employee_client):
        response = client.post(
            "/transfer/import",
            data={"file": (path.open("rb"), "x.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 403
    assert employee_client.get("/transfer/").status_code == 403
    assert brm_client.get("/transfer/").status_code == 200
    assert pm_client.get("/transfer/import/not-a-token").status_code == 404


def test_cli_import_with_progress(runner, pm, write_csv):
    bad = write_csv([good_row(1), good_row(2, title="")], name="bad.csv")
    result = runner.invoke(args=["import-ideas", str(bad), "--as", pm.email])
    assert result.exit_code == 1
    assert "row 3 title: Title is required." in result.output and _count(Idea) == 0
    good = write_csv([good_row(n) for n in range(5)], name="good.csv")
    result = runner.invoke(args=["import-ideas", str(good), "--as", pm.email])
    assert result.exit_code == 0, result.output
    assert "Imported 5 ideas." in result.output and _count(Idea) == 5
    employee_try = runner.invoke(args=["import-ideas", str(good), "--as", "nobody@x.example"])
    assert employee_try.exit_code == 1


def test_exports_and_reimport(pm_client, pm, brm, employee, make_idea, make_objective, department):
    growth = make_objective("Growth")
    idea = make_idea(employee, IdeaStatus.APPROVED, title="Exported idea", objectives=[growth])
    make_idea(employee, IdeaStatus.DRAFT, title="Private draft")
    db.session.add(
        Touchpoint(
            brm=brm, department=department, held_on=datetime(2026, 2, 3).date(),
            kind=TouchpointKind.WORKSHOP, notes="Planning", ideas=[idea],
        )
    )  # fmt: skip
    db.session.commit()
    export = pm_client.get("/transfer/export/ideas.csv")
    assert export.data.startswith(codecs.BOM_UTF8)  # Excel reads it as UTF-8
    text = export.data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["title"] for r in rows] == ["Exported idea"]
    assert rows[0]["objectives"] == "Growth" and rows[0]["status"] == "approved"
    tp = list(
        csv.DictReader(
            io.StringIO(pm_client.get("/transfer/export/touchpoints.csv").data.decode("utf-8-sig"))
        )
    )
    assert tp == [
        {
            "held_on": "2026-02-03", "brm": brm.name, "brm_email": brm.email,
            "department": "Finance", "kind": "workshop", "notes": "Planning",
            "ideas": idea.reference,
        }
    ]  # fmt: skip
    estimates = pm_client.get("/transfer/export/estimates.csv").data.decode("utf-8-sig")
    assert estimates.splitlines()[0].startswith("idea,title,version")
    assert pm_client.get("/transfer/export/users.csv").status_code == 404
    # the export imports again
    path = __import__("pathlib").Path(pm_client.application.instance_path) / "roundtrip.csv"
    path.write_text(text, encoding="utf-8")
    result = ideas_csv.check_file(path, pm)
    assert result.ok and result.ignored_columns == ["reference", "status", "votes", "created_at"]


def test_summary_of_a_file_without_rows_reads_well(pm_client, tmp_path):
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    response = pm_client.post(
        "/transfer/import",
        data={"file": (binary.open("rb"), "photo.csv")},
        content_type="multipart/form-data",
    )
    preview = pm_client.get(response.headers["Location"])
    assert preview.status_code == 422
    text = " ".join(preview.get_data(as_text=True).split())
    assert "<strong>1 problem</strong>. Nothing will be imported" in text


# The CSV import applies the idea form's rules (portal.ideas.rules).
@pytest.mark.parametrize("field", ["proposal", "expected_benefit"])
def test_csv_import_refuses_what_the_form_refuses(app, pm, write_csv, field):
    path = write_csv([good_row(1), good_row(2, **{field: ""})])
    result = ideas_csv.check_file(path, pm)
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (3, field, rules.idea_problems({})[field])
    ]
    with pytest.raises(ideas_csv.ImportRefused):
        ideas_csv.import_file(path, pm)
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 0


def test_csv_needs_the_proposal_and_benefit_columns(app, pm, write_csv):
    rows = [{k: v for k, v in good_row(n).items() if k != "proposal"} for n in (1, 2)]
    result = ideas_csv.check_file(write_csv(rows), pm)
    assert [(p.row, p.column) for p in result.problems] == [(1, "proposal")]


def test_import_writes_the_audit_events_of_the_services(app, pm, employee, write_csv, monkeypatch):
    monkeypatch.setattr(ideas_csv, "BATCH", 2)
    path = write_csv(
        [
            good_row(1, submitter_email=employee.email),
            good_row(2, estimated_cost="900", cost_period="2027-H2"),
            good_row(3),
        ]
    )
    assert ideas_csv.import_file(path, pm) == 3
    db.session.commit()
    ideas = list(db.session.scalars(sa.select(Idea).order_by(Idea.id)))
    events = db.session.execute(
        sa.select(AuditEvent.idea_id, AuditEvent.action, AuditEvent.actor_id).order_by(
            AuditEvent.id
        )
    ).all()
    by_idea = {idea.id: [(a, who) for i, a, who in events if i == idea.id] for idea in ideas}
    assert by_idea == {
        ideas[0].id: [("idea_created", employee.id), ("status_change", employee.id)],
        ideas[1].id: [("idea_created", pm.id), ("status_change", pm.id), ("estimate_saved", pm.id)],
        ideas[2].id: [("idea_created", pm.id), ("status_change", pm.id)],
    }
    saved = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "estimate_saved"))
    assert saved.after["costs"] == {"2027-H2": [900.0, 0.0]} and saved.after["total_cost"] == 900
    follows = db.session.scalars(sa.select(Follow.user_id).order_by(Follow.idea_id))
    assert list(follows) == [employee.id, pm.id, pm.id]


def test_import_and_export_value_over_time_and_run_cost(app, pm, pm_client, write_csv):
    """Issue 13 in the CSV: value over time, run cost per year and lifetime go into the first
    estimate under the estimate form's rules; the estimates export gives them back with the
    TCO and NPV of cost."""
    rows = [
        good_row(1, estimated_cost="1000", cost_period="2027", value_over_time="2027: 1; 2028: 3",
                 run_cost_per_year="500", lifetime_years="4"),
        good_row(2, value_over_time="someday: 2"),
        good_row(3, run_cost_per_year="500"),
        good_row(4, run_cost_per_year="lots", lifetime_years="3"),
    ]  # fmt: skip
    result = ideas_csv.check_file(write_csv(rows, name="bad.csv"), pm)
    found = {(p.row, p.column): p.message for p in result.problems}
    assert "'someday' is not a period" in found[(3, "value_over_time")]
    assert found[(4, "run_cost_per_year")] == (
        "Give the lifetime in years over which the run cost continues."
    )
    assert found[(5, "run_cost_per_year")] == "bad number 'lots' or '3'"
    assert result.bad_rows == 3 and _count(Idea) == 0

    assert ideas_csv.import_file(write_csv(rows[:1]), pm) == 1
    db.session.commit()
    estimate = db.session.scalar(sa.select(Estimate))
    assert estimate.value_profile == {"2027": 1.0, "2028": 3.0}
    assert (estimate.run_cost_per_year, estimate.lifetime_years) == (500.0, 4)
    text = pm_client.get("/transfer/export/estimates.csv").data.decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(text))
    assert row["value_over_time"] == "2027: 1; 2028: 3"
    assert (row["run_cost_per_year"], row["lifetime_years"]) == ("500", "4")
    assert float(row["tco"]) == 1000 + 4 * 500  # no scenario: the NPV is undiscounted
    assert float(row["npv_cost"]) == 3000
