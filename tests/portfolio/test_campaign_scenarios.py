"""A scenario restricted to a campaign: only the campaign's ideas are candidates, its budgets
stay within the campaign's envelope, and adopting its run tells every participant of the
campaign what became of their idea (in, out and why), candidates or not."""

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Follow, IdeaStatus, Notification, PlanOutcome, Role
from portal.portfolio.problem import idea_ref
from tests.campaigns.conftest import make_campaign  # noqa: F401 (a fixture)
from tests.portfolio.test_runs import _run
from tests.portfolio.test_scenarios import _form


@pytest.fixture
def campaign(make_campaign, department):  # noqa: F811
    return make_campaign("closed", departments=[department], budget_envelope=300.0)


@pytest.fixture
def answers(campaign, make_candidate, make_idea, make_user, employee, department):
    """Four answers to the campaign and one idea of the open stream: `best` fits the
    envelope, `dear` does not fit beside it, `rejected` and `in_review` are no candidates."""
    people = {n: make_user(Role.EMPLOYEE, name=n.title(), dept=department) for n in "abcd"}
    best = make_candidate(4, 200.0, submitter=people["a"])
    dear = make_candidate(3, 200.0, submitter=people["b"])
    outside = make_candidate(4, 50.0, submitter=employee)
    rejected = make_idea(
        people["c"], status=IdeaStatus.REJECTED, status_reason="Already done by the bank."
    )
    in_review = make_idea(people["d"], status=IdeaStatus.IN_REVIEW)
    for idea in (best, dear, rejected, in_review):
        idea.campaign = campaign
    fan = make_user(Role.EMPLOYEE, name="Fan", email="fan@converge.example")
    db.session.add(Follow(idea_id=in_review.id, user_id=fan.id))
    db.session.commit()
    return {"best": best, "dear": dear, "outside": outside, "rejected": rejected,
            "in_review": in_review, "fan": fan}  # fmt: skip


def test_only_the_campaigns_ideas_are_candidates(pm_client, make_scenario, campaign, answers):
    scenario = make_scenario(
        name="Answers", periods=["2027"], budget={"2027": 300.0},
        candidate_filter={"campaign_id": campaign.id},
    )  # fmt: skip
    run = _run(pm_client, scenario)
    ids = {c["id"] for c in run.problem["candidates"]}
    assert ids == {idea_ref(answers["best"].id), idea_ref(answers["dear"].id)}
    assert [s["id"] for s in run.result["selected"]] == [idea_ref(answers["best"].id)]
    page = pm_client.get(f"/portfolio/scenarios/{scenario.id}").get_data(as_text=True)
    assert campaign.title in page  # the settings name the campaign


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        (
            "2027: 200\n2028: 150",
            "The budgets add up to 350, more than the campaign&#39;s envelope",
        ),
        ("2027: 200", "give every period a budget (2028 has none)"),
    ],
)
def test_budgets_beyond_the_envelope_are_refused(pm_client, campaign, budget, message):
    response = pm_client.post(
        "/portfolio/scenarios/new",
        data=_form(periods="2027, 2028", budget=budget, campaign=str(campaign.id)),
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    within = pm_client.post(
        "/portfolio/scenarios/new",
        data=_form(periods="2027, 2028", budget="2027: 200\n2028: 100", campaign=str(campaign.id)),
    )
    assert within.status_code == 302


def test_adopting_tells_every_participant_in_or_out_and_why(
    pm_client, client_for, make_scenario, campaign, answers
):
    scenario = make_scenario(
        name="Answers", periods=["2027"], budget={"2027": 300.0},
        candidate_filter={"campaign_id": campaign.id},
    )  # fmt: skip
    run = _run(pm_client, scenario)
    assert pm_client.post(f"/portfolio/runs/{run.id}/adopt").status_code == 302
    db.session.rollback()
    said = {o.idea_id: (o.selected, o.reason) for o in db.session.scalars(sa.select(PlanOutcome))}
    best, dear = answers["best"], answers["dear"]
    assert said[best.id] == (True, "In the Answers plan, starting in 2027.")
    assert said[dear.id][0] is False
    assert said[dear.id][1].startswith("Not in the Answers plan: it needs 200 of the 2027 budget")
    assert said[answers["rejected"].id] == (
        False,
        "Not in the Answers plan: it was rejected before the plan was made: "
        "Already done by the bank.",
    )
    assert said[answers["in_review"].id] == (
        False,
        "Not in the Answers plan: it was not an approved candidate when the plan was made "
        "(it is in review); it can still enter a later plan.",
    )
    assert answers["outside"].id not in said  # not the campaign's, not a candidate
    for key in ("best", "dear", "rejected", "in_review"):
        idea = answers[key]
        told = db.session.scalars(
            sa.select(Notification.message).where(Notification.user_id == idea.submitter_id)
        ).all()
        assert told == [f"{idea.reference} “{idea.title}”: {said[idea.id][1]}"], key
    fan_told = db.session.scalars(
        sa.select(Notification.message).where(Notification.user_id == answers["fan"].id)
    ).all()
    assert len(fan_told) == 1 and "not an approved candidate" in fan_told[0]

    # The campaign page says the same for each idea, to anyone who may see it.
    page = client_for(answers["rejected"].submitter).get(f"/campaigns/{campaign.id}")
    text = page.get_data(as_text=True)
    assert 'data-plan-outcome="in">In the Answers plan, starting in 2027.' in text
    assert "it was rejected before the plan was made: Already done by the bank." in text
    assert text.count('data-plan-outcome="out"') == 3


def test_a_campaigns_plan_joins_the_organisations_plan(
    request, pm_client, make_scenario, make_candidate, campaign
):
    """The organisation's adopted plan costs more than the campaign's envelope: adopting the
    campaign's run asks no confirmation of excess (the envelope pays for its answers only),
    keeps the plan's ideas selected and leaves the organisation's plan current."""
    from portal.portfolio import service

    big = make_candidate(4, 5000.0)
    whole = make_scenario(name="FY27", periods=["2027"], budget={"2027": 6000.0})
    org_run = _run(pm_client, whole)
    assert pm_client.post(f"/portfolio/runs/{org_run.id}/adopt").status_code == 302
    db.session.rollback()
    assert big.status == IdeaStatus.SELECTED
    answers = request.getfixturevalue("answers")  # the campaign's answers come in after
    scenario = make_scenario(
        name="Answers", periods=["2027"], budget={"2027": 300.0},
        candidate_filter={"campaign_id": campaign.id},
    )  # fmt: skip
    run = _run(pm_client, scenario)
    assert service.overcommitted(run) == []
    assert pm_client.post(f"/portfolio/runs/{run.id}/adopt").status_code == 302
    db.session.rollback()
    assert run.adopted_at is not None
    assert big.status == answers["best"].status == IdeaStatus.SELECTED
    assert service.current_plan().id == org_run.id
    plan = pm_client.get("/portfolio/plan").get_data(as_text=True)
    assert big.title in plan and answers["best"].title in plan  # both in the plan
