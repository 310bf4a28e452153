"""The campaign report: participation by department (people, ideas, votes, comments), time
to first review, the share of ideas reaching a decision and the value selected, on the page
(figures, two charts, a table) and in the CSV, with a row for the whole campaign."""

import codecs
import csv
import io
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import AuditEvent, Comment, IdeaStatus, Role, Vote, utcnow
from tests.portfolio.conftest import make_estimate  # noqa: F401 (a fixture)

HEADER = [
    "Department", "People", "Ideas", "Votes", "Comments", "Reviewed",
    "Median days to first review", "Reaching a decision", "Reaching a decision (%)",
    "Selected", "Value selected",
]  # fmt: skip


@pytest.fixture
def reported(
    make_campaign, make_department, make_user, make_idea, make_estimate,  # noqa: F811
    make_objective, department, employee, brm,
):  # fmt: skip
    """Finance: two ideas, first reviewed after 3 and 1 days, one selected (value 75 × 1.5)
    and one rejected; Sales: one idea nobody reviewed yet, and a draft; Operations (not
    asked): a vote and a comment."""
    cash = make_objective("Cash", weight=1)
    sales = make_department("Sales")
    operations = make_department("Operations")
    campaign = make_campaign(departments=[department, sales])
    now = utcnow()
    colleague = make_user(Role.EMPLOYEE, dept=department)
    seller = make_user(Role.EMPLOYEE, dept=sales)
    onlooker = make_user(Role.EMPLOYEE, dept=operations)
    chosen = make_idea(
        employee,
        status=IdeaStatus.SELECTED,
        campaign=campaign,
        submitted_at=now - timedelta(days=4),
        decided_at=now,
    )
    refused = make_idea(
        colleague,
        status=IdeaStatus.REJECTED,
        campaign=campaign,
        submitted_at=now - timedelta(days=2),
        decided_at=now,
    )
    waiting = make_idea(
        seller, status=IdeaStatus.SUBMITTED, campaign=campaign, submitted_at=now - timedelta(days=2)
    )
    make_idea(seller, status=IdeaStatus.DRAFT, campaign=campaign)
    make_estimate(chosen, brm, impacts={cash: 3}, value_low=1.0, value_likely=1.5, value_high=2.0)
    for idea, actor, when in [
        (chosen, brm, now - timedelta(days=1)),  # first review after 3 days
        (chosen, brm, now),
        (refused, brm, now - timedelta(days=1)),  # after 1 day
        (waiting, seller, now - timedelta(days=2)),  # the submitter's own step: no review
    ]:
        db.session.add(
            AuditEvent(
                actor=actor,
                action="status_change",
                object_type="idea",
                object_id=idea.id,
                idea_id=idea.id,
                created_at=when,
            )
        )
    db.session.add_all(
        [
            Vote(idea_id=chosen.id, user_id=onlooker.id),
            Comment(idea=waiting, author=onlooker, body="Would help us too."),
        ]
    )
    db.session.commit()
    return campaign


def test_the_csv_by_department_and_for_the_whole_campaign(brm_client, reported):
    response = brm_client.get(f"/campaigns/{reported.id}/report.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(codecs.BOM_UTF8)  # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows == [
        HEADER,
        ["Finance", "2", "2", "0", "0", "2", "2", "2", "100", "1", "112.5"],
        ["Sales", "1", "1", "0", "0", "0", "", "0", "0", "0", "0"],
        ["Operations", "1", "0", "1", "1", "0", "", "0", "", "0", "0"],
        ["All departments", "4", "3", "1", "1", "2", "2", "2", "66.7", "1", "112.5"],
    ]


def test_the_page_shows_the_figures_two_charts_and_the_table(brm_client, reported):
    page = brm_client.get(f"/campaigns/{reported.id}/report").get_data(as_text=True)
    assert '<div class="fs-4" data-submitted>3</div>' in page
    assert '<div class="fs-4" data-first-review>2.0</div>' in page
    assert '<div class="fs-4" data-decided>67%</div>' in page
    assert '<div class="fs-4" data-value>112.5</div>' in page
    assert page.count("<svg") == 2
    assert "Participation by department" in page
    assert "What became of the ideas, by department" in page
    assert "Decided, not selected" in page
    assert page.count("<tr") == 1 + 4  # heading, three departments, the whole campaign


def test_a_campaign_nobody_answered_yet(brm_client, make_campaign):
    campaign = make_campaign()  # asks everyone
    page = brm_client.get(f"/campaigns/{campaign.id}/report").get_data(as_text=True)
    assert "Nobody has taken part yet." in page and "<svg" not in page
    rows = brm_client.get(f"/campaigns/{campaign.id}/report.csv").data.decode("utf-8-sig")
    assert rows.splitlines() == [",".join(HEADER), "All departments,0,0,0,0,0,,0,,0,0"]
