"""CSV exports of ideas, estimates and touchpoints: hostile text stays text, and each export
shows a user exactly what the page it comes from shows them."""

import csv
import io
from datetime import date

import pytest

from portal.extensions import db
from portal.models import (
    Estimate,
    EstimateCost,
    IdeaStatus,
    Role,
    Touchpoint,
    TouchpointKind,
)
from portal.spreadsheets import FORMULA_STARTS
from tests.test_spreadsheets import HOSTILE

EXPORTS = ("ideas", "estimates", "touchpoints")


def _rows(client, kind: str) -> list[dict]:
    response = client.get(f"/transfer/export/{kind}.csv")
    assert response.status_code == 200, (kind, response.status_code)
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def _assert_no_formula(rows: list[dict]) -> None:
    """No cell starts like a formula unless it is a number."""
    for row in rows:
        for column, cell in row.items():
            if cell.startswith(FORMULA_STARTS):
                float(cell)  # raises for text: text must have been neutralised
                assert column, cell


@pytest.fixture
def world(make_department, make_user, make_idea, department, employee, brm, pm, admin):
    """Finance (covered by brm) and Sales (covered by brm2), a hostile idea, estimate and
    touchpoint in each, and a draft."""
    sales = make_department("Sales")
    brm2 = make_user(Role.BRM, dept=sales, name="Bea Second", email="brm2@converge.example")
    seller = make_user(dept=sales)
    ideas = {
        department.name: make_idea(employee, IdeaStatus.SUBMITTED, title=HOSTILE[0]),
        sales.name: make_idea(seller, IdeaStatus.SUBMITTED, title=HOSTILE[3]),
    }
    draft = make_idea(employee, IdeaStatus.DRAFT, title="=Private draft")
    for name, idea in ideas.items():
        author = brm if name == department.name else brm2
        db.session.add(
            Estimate(
                idea=idea, author=author, version=1, is_current=True, value_low=0.0,
                value_likely=1.0, value_high=2.0, notes=f"{HOSTILE[1]} notes of {name}",
                costs=[EstimateCost(period="2027", capex=120.0, opex=0.0)],
            )
        )  # fmt: skip
        db.session.add(
            Touchpoint(
                brm=author, department=idea.department, held_on=date(2026, 2, 3),
                kind=TouchpointKind.MEETING, notes=f"{HOSTILE[2]} {name} only", ideas=[idea],
            )
        )  # fmt: skip
    db.session.commit()
    users = {"employee": employee, "brm": brm, "brm2": brm2, "pm": pm, "admin": admin}
    return {"departments": [department, sales], "ideas": ideas, "draft": draft, "users": users}


def test_exports_write_hostile_text_as_text(pm_client, world):
    for kind in EXPORTS:
        rows = _rows(pm_client, kind)
        assert rows, kind
        _assert_no_formula(rows)
    titles = {r["title"] for r in _rows(pm_client, "ideas")}
    assert titles == {"'" + HOSTILE[0], "'" + HOSTILE[3]}
    estimates = _rows(pm_client, "estimates")
    assert {r["notes"] for r in estimates} == {"'+1 notes of Finance", "'+1 notes of Sales"}
    assert {r["capex_total"] for r in estimates} == {"120"}  # numbers stay (whole) numbers
    assert {r["notes"] for r in _rows(pm_client, "touchpoints")} == {
        "'-2 Finance only",
        "'-2 Sales only",
    }


def test_an_exported_title_imports_as_written(pm_client, pm, world, tmp_path):
    from portal.transfer import ideas_csv

    path = tmp_path / "again.csv"
    path.write_text(pm_client.get("/transfer/export/ideas.csv").data.decode("utf-8-sig"))
    result = ideas_csv.check_file(path, pm)
    assert result.ok
    assert {row["title"] for row in result.sample} == {HOSTILE[0], HOSTILE[3]}


@pytest.mark.parametrize("who", ["employee", "brm", "brm2", "pm", "admin"])
def test_touchpoints_export_has_the_departments_whose_page_the_user_opens(who, world, client_for):
    client = client_for(world["users"][who])
    pages = {
        d.name
        for d in world["departments"]
        if client.get(f"/review/departments/{d.id}").status_code == 200
    }
    response = client.get("/transfer/export/touchpoints.csv")
    if not pages:
        assert response.status_code == 403
        return
    exported = {r["department"] for r in _rows(client, "touchpoints")}
    assert exported == pages
    expected = {"brm": {"Finance"}, "brm2": {"Sales"}, "pm": {"Finance", "Sales"}}[who]
    assert exported == expected


@pytest.mark.parametrize("who", ["employee", "brm", "brm2", "pm", "admin"])
def test_estimates_export_follows_the_estimate_page(who, world, client_for):
    client = client_for(world["users"][who])
    pages = {
        name
        for name, idea in world["ideas"].items()
        if client.get(f"/review/ideas/{idea.id}/estimate").status_code == 200
    }
    response = client.get("/transfer/export/estimates.csv")
    if not pages:
        assert response.status_code == 403
        assert who in ("employee", "admin")
        return
    exported = {r["notes"].removeprefix("'+1 notes of ") for r in _rows(client, "estimates")}
    assert exported == pages


@pytest.mark.parametrize("who", ["employee", "brm", "brm2", "pm", "admin"])
def test_ideas_export_follows_the_idea_pages(who, world, client_for):
    client = client_for(world["users"][who])
    response = client.get("/transfer/export/ideas.csv")
    if who == "employee":
        assert response.status_code == 403  # the import and export page is not theirs
        return
    exported = {r["reference"] for r in _rows(client, "ideas")}
    readable = {
        i.reference
        for i in world["ideas"].values()
        if client.get(f"/ideas/{i.id}").status_code == 200
    }
    assert exported == readable == {i.reference for i in world["ideas"].values()}
    assert world["draft"].reference not in exported


def test_the_export_page_offers_only_what_the_user_may_download(world, client_for):
    admin_page = client_for(world["users"]["admin"]).get("/transfer/").get_data(as_text=True)
    assert "export/ideas.csv" in admin_page and "export/touchpoints.csv" not in admin_page
    brm_page = client_for(world["users"]["brm"]).get("/transfer/").get_data(as_text=True)
    assert "export/touchpoints.csv" in brm_page and "export/estimates.csv" in brm_page
