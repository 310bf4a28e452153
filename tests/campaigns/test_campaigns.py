"""Campaigns: who may see and change what, states, submitting answers with extra fields,
refusals, the queue filter, similar ideas, notices, the report and its CSV."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.campaigns import rules, service
from portal.extensions import db
from portal.models import (
    Campaign,
    CampaignNotice,
    CampaignState,
    Idea,
    IdeaStatus,
    Notification,
    Role,
    utcnow,
)

IDEA = {
    "title": "Send invoices the same day",
    "problem": "Invoices wait a week.",
    "proposal": "Generate them from the delivery note.",
    "expected_benefit": "Paid a week earlier.",
}


def _post_idea(client, campaign, department, **extra):
    data = {**IDEA, "department": department.id, "campaign": campaign.id, "submit_idea": "1"}
    data.update(extra)
    return client.post("/ideas/new", data=data)


# ------------------------------------------------------------------ who may (every route)


@pytest.fixture
def actors(make_user, make_department, department, employee, brm, pm, admin):
    other = make_department("Operations")
    return {
        "anonymous": None,
        "employee": employee,
        "outsider": make_user(Role.EMPLOYEE, dept=other),
        "brm": brm,
        "portfolio_manager": pm,
        "other_pm": make_user(Role.PORTFOLIO_MANAGER),
        "admin": admin,
        "leader": make_user(Role.LEADER),  # of the department asked, not the sponsor
        "other_leader": make_user(Role.LEADER, dept=other),
    }


# (method, path, who may) — "may" answers 200 or a redirect after success; others get
# 302 to sign in (anonymous), 403 (not allowed) or 404 (may not see it).
SIGNED_IN = {"employee", "outsider", "brm", "portfolio_manager", "other_pm", "admin", "leader",
             "other_leader"}  # fmt: skip
SPONSORS = {"portfolio_manager", "other_pm", "admin", "leader", "other_leader"}
ROUTES = [
    ("get", "/campaigns/", SIGNED_IN),
    ("get", "/campaigns/new", SPONSORS),
    ("post", "/campaigns/new", SPONSORS),
    ("get", "/campaigns/{id}", {"employee", "brm", "portfolio_manager", "other_pm", "admin",
                                "leader"}),
    ("get", "/campaigns/{id}/edit", {"portfolio_manager", "admin"}),
    ("post", "/campaigns/{id}/edit", {"portfolio_manager", "admin"}),
    ("post", "/campaigns/{id}/state/close", {"portfolio_manager", "admin"}),
    ("post", "/campaigns/{id}/updates", {"portfolio_manager", "admin"}),
    ("get", "/campaigns/{id}/report", {"brm", "portfolio_manager", "other_pm", "admin"}),
    ("get", "/campaigns/{id}/report.csv", {"brm", "portfolio_manager", "other_pm", "admin"}),
]  # fmt: skip


def _form_for(path: str, campaign: Campaign, department) -> dict:
    if path.endswith(("/new", "/edit")):
        today = utcnow().date()
        return {
            "title": "Faster payments", "question": "How?", "opens_on": str(today),
            "closes_on": str(today + timedelta(days=9)), "departments": department.id,
        }  # fmt: skip
    if path.endswith("/updates"):
        return {"body": "Thanks for the first ideas."}
    return {}


@pytest.mark.parametrize(("method", "path", "allowed"), ROUTES, ids=lambda v: str(v)[:30])
@pytest.mark.parametrize("who", ["anonymous", *sorted(SIGNED_IN)])
def test_who_may(app, client_for, actors, make_campaign, department, method, path, allowed, who):
    campaign = make_campaign(departments=[department])
    user = actors[who]
    client = client_for(user) if user else app.test_client()
    url = path.format(id=campaign.id)
    call = getattr(client, method)
    response = (
        call(url, data=_form_for(path, campaign, department)) if method == "post" else call(url)
    )
    if who == "anonymous":
        assert response.status_code == 302 and "/auth/login" in response.location
    elif who in allowed:
        assert response.status_code in (200, 302), (response.status_code, response.data[:300])
    else:
        assert response.status_code in (403, 404)


def test_a_leader_sponsors_and_runs_their_own_campaign(
    client_for, make_user, department, employee, make_campaign
):
    leader = make_user(Role.LEADER, name="Lena Leader")
    other = make_user(Role.LEADER)
    mine = make_campaign(
        "draft", sponsor=leader, departments=[department], opens_on=utcnow().date()
    )
    someone_elses = make_campaign(departments=[department])
    client = client_for(leader)
    assert client.get(f"/campaigns/{mine.id}").status_code == 200  # a draft: the sponsor sees it
    assert client.get(f"/campaigns/{mine.id}/edit").status_code == 200
    assert client.post(f"/campaigns/{mine.id}/state/publish").status_code == 302
    assert client.post(f"/campaigns/{mine.id}/updates", data={"body": "Thanks!"}).status_code == 302
    assert client.get(f"/campaigns/{mine.id}/report").status_code == 200
    assert client.get(f"/campaigns/{mine.id}/report.csv").status_code == 200
    # Not theirs: they read it like anyone asked, and change nothing.
    assert client.get(f"/campaigns/{someone_elses.id}").status_code == 200
    for path in ("edit", "report", "report.csv"):
        assert client.get(f"/campaigns/{someone_elses.id}/{path}").status_code == 403, path
    assert client.post(f"/campaigns/{someone_elses.id}/state/close").status_code == 403
    # Another leader does not manage theirs either.
    assert client_for(other).post(f"/campaigns/{mine.id}/state/close").status_code == 403
    db.session.refresh(mine)
    assert mine.state_on(service.today()) == CampaignState.OPEN and len(mine.updates) == 1
    page = client_for(employee).get(f"/campaigns/{mine.id}").get_data(as_text=True)
    assert "sponsored by Lena Leader" in page and "Thanks!" in page


def test_the_leader_of_a_department_asked_reads_the_campaign_and_hears_of_it(
    client_for, make_user, make_department, department, make_campaign
):
    operations = make_department("Operations")
    leader = make_user(Role.LEADER, name="Olu Leader")  # works in Finance, leads Operations
    operations.leader = leader
    db.session.commit()
    campaign = make_campaign(departments=[operations], title="Faster shipping")
    client = client_for(leader)
    assert client.get(f"/campaigns/{campaign.id}").status_code == 200
    assert "Faster shipping" in client.get("/campaigns/").get_data(as_text=True)
    # Their ideas belong to their own department: the campaign takes none of theirs.
    assert "Faster shipping" not in client.get("/ideas/new").get_data(as_text=True)
    assert service.send_reminders() == {"opened": 1}
    told = db.session.scalars(sa.select(Notification.user_id)).all()
    assert leader.id in told


def test_an_outsider_does_not_see_the_campaign_or_its_form(
    client_for, actors, make_campaign, department
):
    campaign = make_campaign(departments=[department], title="Finance only question")
    outsider = client_for(actors["outsider"])
    assert "Finance only question" not in outsider.get("/").get_data(as_text=True)
    assert "Finance only question" not in outsider.get("/campaigns/").get_data(as_text=True)
    assert "Finance only question" not in outsider.get(
        f"/ideas/new?campaign={campaign.id}"
    ).get_data(as_text=True)
    assert outsider.get(f"/campaigns/{campaign.id}").status_code == 404
    response = _post_idea(outsider, campaign, actors["outsider"].department)
    assert response.status_code == 400
    assert b"There is no such campaign for your department" in response.data
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 0


def test_drafts_are_seen_by_sponsors_and_reviewers_only(client_for, employee, brm, make_campaign):
    campaign = make_campaign("draft")
    assert client_for(employee).get(f"/campaigns/{campaign.id}").status_code == 404
    assert client_for(brm).get(f"/campaigns/{campaign.id}").status_code == 200


# ------------------------------------------------------------------ states


def test_states_follow_dates_and_the_sponsor(pm_client, pm, make_campaign):
    campaign = make_campaign("draft", opens_on=utcnow().date())
    assert campaign.state_on(service.today()) == CampaignState.DRAFT
    pm_client.post(f"/campaigns/{campaign.id}/state/publish")
    db.session.refresh(campaign)
    assert campaign.state_on(service.today()) == CampaignState.OPEN
    refused = pm_client.post(f"/campaigns/{campaign.id}/state/decide")
    assert refused.status_code == 409
    assert "not possible while the campaign is open" in refused.get_data(as_text=True)
    pm_client.post(f"/campaigns/{campaign.id}/state/close")
    db.session.refresh(campaign)
    assert campaign.state_on(service.today()) == CampaignState.CLOSED
    pm_client.post(f"/campaigns/{campaign.id}/state/decide")
    db.session.refresh(campaign)
    assert campaign.state_on(service.today()) == CampaignState.DECIDED
    later = service.today() + timedelta(days=30)
    assert campaign.state_on(later) == CampaignState.DECIDED
    assert (
        db.session.scalar(sa.select(sa.func.count(Campaign.id)).where(Campaign.open_on(later))) == 0
    )


def test_dates_move_a_published_campaign_and_sql_agrees(make_campaign):
    campaign = make_campaign("draft", unpublished=False)  # published, opens in 3 days
    opens, closes = campaign.opens_on, campaign.closes_on
    expected = {
        opens - timedelta(days=1): CampaignState.SCHEDULED,
        opens: CampaignState.OPEN,
        closes: CampaignState.OPEN,
        closes + timedelta(days=1): CampaignState.CLOSED,
    }
    for day, state in expected.items():
        assert campaign.state_on(day) == state, day
        in_sql = db.session.scalar(sa.select(Campaign.id).where(Campaign.open_on(day)))
        assert (in_sql == campaign.id) == (state == CampaignState.OPEN), day
    campaign.published_at = None  # never published: a draft whatever the date
    assert campaign.state_on(opens) == CampaignState.DRAFT


def _new_campaign(client, department, **fields):
    """Post the new-campaign form: open from today for two weeks, to `department`."""
    today = utcnow().date()
    data = {
        "title": "Faster payments", "question": "How can we be paid faster?",
        "opens_on": str(today), "closes_on": str(today + timedelta(days=14)),
        "departments": department.id,
    }  # fmt: skip
    return client.post("/campaigns/new", data={**data, **fields})


def test_a_sponsor_creates_a_campaign_with_extra_fields(pm_client, department):
    today = utcnow().date()
    response = _new_campaign(
        pm_client,
        department,
        budget_envelope="250000",
        fields="Invoices per month: number *\nTeam: choice Billing / Collections",
    )
    assert response.status_code == 302
    campaign = db.session.scalar(sa.select(Campaign))
    assert [f["key"] for f in campaign.fields] == ["invoices_per_month", "team"]
    assert campaign.fields[0]["required"] and not campaign.fields[1]["required"]
    assert campaign.budget_envelope == 250000
    assert campaign.state_on(today) == CampaignState.DRAFT


@pytest.mark.parametrize(
    ("typed", "kept", "said"),
    [
        ("1.5M", 1_500_000, None),
        ("1,500,000", 1_500_000, None),
        ("10000000000000", None, "the largest amount the portal takes"),
        ("1e30", None, "the largest amount the portal takes"),
        ("-5", None, "is negative; amounts are 0 or more."),
    ],
)
def test_the_envelope_is_an_amount_as_typed(pm_client, department, typed, kept, said):
    response = _new_campaign(pm_client, department, budget_envelope=typed)
    campaign = db.session.scalar(sa.select(Campaign))
    if said is None:
        assert response.status_code == 302 and campaign.budget_envelope == kept
    else:
        assert response.status_code == 400 and said in response.text and campaign is None


def test_once_answered_the_extra_fields_stay(
    pm_client, employee, make_campaign, make_idea, department
):
    campaign = make_campaign(departments=[department])
    page = pm_client.get(f"/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert "Invoices per month: number *\nTeam: choice Billing / Collections" in page
    make_idea(employee, campaign=campaign, campaign_answers={"invoices_per_month": 3})
    form = {"title": campaign.title, "question": campaign.question,
            "opens_on": str(campaign.opens_on), "closes_on": str(campaign.closes_on),
            "departments": department.id}  # fmt: skip
    dropped = pm_client.post(
        f"/campaigns/{campaign.id}/edit",
        data={**form, "fields": "Team: choice Billing / Collections"},
    )
    assert dropped.status_code == 409
    assert "add fields, but keep the existing ones" in dropped.get_data(as_text=True)
    added = pm_client.post(
        f"/campaigns/{campaign.id}/edit",
        data={**form, "fields": rules.fields_text(campaign.fields) + "\nRegion: text"},
    )
    assert added.status_code == 302
    db.session.refresh(campaign)
    assert [f["key"] for f in campaign.fields] == ["invoices_per_month", "team", "region"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("\n".join(f"F{i}: text" for i in range(6)), "At most 5 extra fields"),
        ("Size: colour", "Line 1: write"),
        ("Team: choice Billing", "a choice needs 2 to 12 options"),
        ("Team: text\nteam: number", "two fields are called"),
    ],
)
def test_bad_field_specs_are_refused(pm_client, text, message):
    today = utcnow().date()
    response = pm_client.post(
        "/campaigns/new",
        data={"title": "Faster payments", "question": "How?", "opens_on": str(today),
              "closes_on": str(today), "fields": text},
    )  # fmt: skip
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_closing_before_opening_is_refused(pm_client):
    today = utcnow().date()
    response = pm_client.post(
        "/campaigns/new",
        data={"title": "Faster payments", "question": "How?", "opens_on": str(today),
              "closes_on": str(today - timedelta(days=1))},
    )  # fmt: skip
    assert response.status_code == 400
    assert "must close on or after the day it opens" in response.get_data(as_text=True)


# ------------------------------------------------------------------ submitting


def test_an_employee_answers_with_the_extra_fields(employee_client, make_campaign, department):
    campaign = make_campaign(departments=[department])
    form = employee_client.get(f"/ideas/new?campaign={campaign.id}").get_data(as_text=True)
    assert f'name="campaign-{campaign.id}-invoices_per_month"' in form
    response = _post_idea(
        employee_client, campaign, department,
        **{f"campaign-{campaign.id}-invoices_per_month": "1,200",
           f"campaign-{campaign.id}-team": "Billing"},
    )  # fmt: skip
    assert response.status_code == 302
    idea = db.session.scalar(sa.select(Idea))
    assert idea.campaign_id == campaign.id
    assert idea.campaign_answers == {"invoices_per_month": 1200, "team": "Billing"}
    page = employee_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Send invoices the same day" in page and "Invoices per month:</span> 1200" in page


def test_answering_starts_from_the_campaigns_objectives(
    employee_client, make_campaign, make_objective, department
):
    cash, people = make_objective("Cash"), make_objective("People")
    campaign = make_campaign(departments=[department], objectives=[cash])
    form = employee_client.get(f"/ideas/new?campaign={campaign.id}").get_data(as_text=True)
    assert re.search(rf'<input checked[^>]*name="objectives"[^>]*value="{cash.id}"', form)
    assert not re.search(rf'<input checked[^>]*name="objectives"[^>]*value="{people.id}"', form)
    plain = employee_client.get("/ideas/new").get_data(as_text=True)
    assert not re.search(r'<input checked[^>]*name="objectives"', plain)


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({}, "Invoices per month: this campaign asks for an answer."),
        ({"invoices_per_month": "many"}, "Invoices per month: write a number"),
        ({"invoices_per_month": "5", "team": "Legal"}, "Team: choose one of Billing, Collections"),
    ],
)
def test_bad_answers_are_refused(employee_client, make_campaign, department, answers, message):
    campaign = make_campaign(departments=[department])
    fields = {f"campaign-{campaign.id}-{k}": v for k, v in answers.items()}
    response = _post_idea(employee_client, campaign, department, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 0


@pytest.mark.parametrize("state", ["closed", "decided", "draft"])  # "draft": published ahead
def test_submitting_into_a_campaign_not_open_is_refused(
    employee_client, make_campaign, department, state
):
    campaign = make_campaign(state, departments=[department], unpublished=False)
    response = _post_idea(
        employee_client, campaign, department, **{f"campaign-{campaign.id}-invoices_per_month": "3"}
    )
    assert response.status_code in (400, 409)
    text = response.get_data(as_text=True)
    if state == "draft":
        assert "There is no such campaign for your department" in text  # not shown yet
    else:
        assert f"The campaign “{campaign.title}” takes no ideas" in text
        assert "Submit your idea to the open stream instead." in text
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 0


def test_a_draft_cannot_be_submitted_after_its_campaign_closed(
    employee_client, employee, make_campaign, make_idea, department
):
    campaign = make_campaign("closed", departments=[department])
    idea = make_idea(employee, status=IdeaStatus.DRAFT, campaign=campaign)
    response = employee_client.post(f"/ideas/{idea.id}/transition/submit")
    assert response.status_code == 409
    assert "takes no more ideas" in response.get_data(as_text=True)
    db.session.refresh(idea)
    assert idea.status == IdeaStatus.DRAFT


def test_home_lists_open_campaigns_of_my_department(employee_client, make_campaign, department):
    make_campaign(departments=[department], title="Open to Finance")
    make_campaign("closed", title="Already closed")
    page = employee_client.get("/").get_data(as_text=True)
    assert "Open to Finance" in page and "Already closed" not in page


# ------------------------------------------------------------------ reviewers


def test_the_queue_filters_by_campaign(brm_client, employee, make_campaign, make_idea):
    campaign = make_campaign()
    make_idea(employee, title="Inside the campaign", campaign=campaign)
    make_idea(employee, title="Open stream idea")
    page = brm_client.get("/review/", query_string={"campaign": campaign.id}).get_data(as_text=True)
    assert "Inside the campaign" in page and "Open stream idea" not in page
    everything = brm_client.get("/review/").get_data(as_text=True)
    assert "Open stream idea" in everything


def test_similar_ideas_look_inside_the_campaign_first(
    employee_client, employee, make_campaign, make_idea
):
    campaign = make_campaign()
    outside = make_idea(employee, title="Invoice reminders by email for customers")
    inside = make_idea(
        employee, title="Invoice reminders", problem="Customers forget.", campaign=campaign
    )
    text = "Invoice reminders by email for customers"
    plain = employee_client.get("/review/similar", query_string={"text": text}).get_json()
    assert plain["ideas"][0]["id"] == outside.id
    first = employee_client.get(
        "/review/similar", query_string={"text": text, "campaign": campaign.id}
    ).get_json()
    assert [i["id"] for i in first["ideas"]][:2] == [inside.id, outside.id]


# ------------------------------------------------------------------ notices


def test_notices_go_out_once(app, employee, make_user, make_department, make_campaign, department):
    outsider = make_user(Role.EMPLOYEE, dept=make_department("Legal"))
    campaign = make_campaign(
        departments=[department], closes_on=utcnow().date() + timedelta(days=1)
    )
    assert service.send_reminders() == {"opened": 1, "closing_soon": 1}
    db.session.commit()
    assert service.send_reminders() == {}
    told = set(db.session.scalars(sa.select(Notification.user_id)))
    assert employee.id in told and outsider.id not in told
    kinds = set(db.session.scalars(sa.select(CampaignNotice.kind)))
    assert kinds == {"opened", "closing_soon"}
    message = db.session.scalar(
        sa.select(Notification.message).where(Notification.user_id == employee.id).limit(1)
    )
    assert campaign.title in message


def test_the_decided_notice_reaches_participants(
    pm_client, employee, make_idea, make_campaign, department
):
    campaign = make_campaign("closed", departments=[department])
    make_idea(employee, campaign=campaign)
    pm_client.post(f"/campaigns/{campaign.id}/state/decide")
    note = db.session.scalar(
        sa.select(Notification).where(
            Notification.user_id == employee.id, Notification.message.contains("is decided")
        )
    )
    assert note is not None and note.link == f"/campaigns/{campaign.id}"


def test_reminders_command(runner, make_campaign):
    make_campaign()
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "1 campaign opened" in result.output
    again = runner.invoke(args=["send-reminders"])
    assert again.exit_code == 0 and "campaign opened" not in again.output


# ------------------------------------------------------------------ report


def test_report_csv_cells_are_safe(
    brm_client, make_department, employee, make_user, make_idea, make_campaign
):
    risky = make_department("=HYPERLINK(1)")
    make_idea(make_user(Role.EMPLOYEE, dept=risky), campaign=make_campaign())
    csv = brm_client.get(f"/campaigns/{db.session.scalar(sa.select(Campaign.id))}/report.csv")
    assert "'=HYPERLINK(1),1,1,0,0,0,,0,0,0,0" in csv.get_data(as_text=True)


def test_field_rules_in_one_place():
    fields, problems = rules.parse_fields("Cost: number *\nKind: choice A / B")
    assert not problems
    assert rules.fields_text(fields) == "Cost: number *\nKind: choice A / B"
    assert rules.clean_answers(fields, {"Cost": "1"})[1] == {
        "cost": "Cost: this campaign asks for an answer."
    }
    assert rules.envelope_problem(100, {"2027": 60, "2028": 50}, ["2027", "2028"]).startswith(
        "The budgets add up to 110"
    )
    assert "2028 has none" in rules.envelope_problem(100, {"2027": 60}, ["2027", "2028"])
    assert rules.envelope_problem(None, {}, ["2027"]) is None


# ------------------------------------------------------------------ published ahead


def test_a_campaign_published_ahead_is_scheduled_and_says_when_it_opens(
    pm_client, client_for, employee, department, make_campaign, monkeypatch
):
    campaign = make_campaign("draft", departments=[department])  # opens in 3 days
    opens = campaign.opens_on
    response = pm_client.post(f"/campaigns/{campaign.id}/state/publish", follow_redirects=True)
    page = response.text
    words = f"Scheduled – opens {opens.day} {opens:%b}"
    if opens.year != service.today().year:
        words += f" {opens.year}"
    assert f"The campaign is now {words[0].lower()}{words[1:]}." in page
    assert f'data-campaign-state="scheduled">{words}</span>' in page
    assert "Unpublish (back to draft)" in page and f"/campaigns/{campaign.id}/edit" in page
    assert words in pm_client.get("/campaigns/").text
    db.session.refresh(campaign)
    assert campaign.state_on(service.today()) == CampaignState.SCHEDULED
    # People it asks see it, and may answer it, from its day on, with nobody touching it.
    people = client_for(employee)
    assert people.get(f"/campaigns/{campaign.id}").status_code == 404
    monkeypatch.setattr(service, "today", lambda: opens)
    opened = people.get(f"/campaigns/{campaign.id}")
    assert opened.status_code == 200 and 'data-campaign-state="open"' in opened.text
    assert "Answer this campaign" in opened.text


def test_a_campaign_that_closed_before_today_is_not_published(pm_client, make_campaign):
    day = service.today()
    campaign = make_campaign(
        "draft", opens_on=day - timedelta(days=30), closes_on=day - timedelta(days=1)
    )
    response = pm_client.post(f"/campaigns/{campaign.id}/state/publish", follow_redirects=True)
    assert response.status_code == 409
    assert "before today: move its closing date before publishing it." in response.text
    db.session.refresh(campaign)
    assert campaign.published_at is None
    campaign.closes_on = day  # closing today is still a day to answer
    db.session.commit()
    response = pm_client.post(f"/campaigns/{campaign.id}/state/publish", follow_redirects=True)
    assert response.status_code == 200 and "The campaign is now open" in response.text


def test_a_scheduled_campaign_can_go_back_to_draft(pm_client, make_campaign):
    campaign = make_campaign("draft", unpublished=False)
    response = pm_client.post(f"/campaigns/{campaign.id}/state/unpublish")
    assert response.status_code == 302
    db.session.refresh(campaign)
    assert campaign.published_at is None
    assert campaign.state_on(service.today()) == CampaignState.DRAFT
    open_one = make_campaign("open")
    refused = pm_client.post(f"/campaigns/{open_one.id}/state/unpublish")
    assert refused.status_code == 409  # people may have answered it already
    assert "not possible while the campaign is open" in refused.text
