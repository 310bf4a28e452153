"""API: campaigns (list, read, their ideas; sponsors create them), through the campaigns
service: the same visibility and rules as the campaign pages."""

from flask import url_for
from flask_smorest import Blueprint, abort
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from portal.api.auth import authenticate, caller
from portal.api.errors import ErrorSchema, handle_http_error
from portal.api.schemas import CampaignCreateSchema, CampaignIdeaSchema, CampaignSchema
from portal.campaigns import service
from portal.extensions import db
from portal.models import Campaign, Idea, PlanOutcome
from portal.portfolio import outcomes

blp = Blueprint(
    "Campaigns",
    __name__,
    url_prefix="/api/v1",
    description="Campaigns: questions asked to target departments (create: department "
    "leaders, portfolio managers and admins).",
)
blp.before_request(authenticate)
blp.register_error_handler(HTTPException, handle_http_error)

CAMPAIGN = "/campaigns/<id:campaign_id>"


class CampaignView:
    """A campaign with its state today."""

    def __init__(self, campaign: Campaign):
        self._campaign = campaign
        self.state = campaign.state_on(service.today())
        self.sponsor = {"id": campaign.sponsor.id, "name": campaign.sponsor.name}

    def __getattr__(self, name):
        return getattr(self._campaign, name)


class CampaignIdeaView:
    """An idea of a campaign with its answers and its latest plan outcome."""

    def __init__(self, idea: Idea, outcome: PlanOutcome | None):
        self._idea = idea
        self.campaign_answers = idea.campaign_answers or {}
        self.outcome = outcome.reason if outcome is not None else None

    def __getattr__(self, name):
        return getattr(self._idea, name)


def _visible(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not service.can_see(caller(), campaign):
        abort(404, message=f"There is no campaign {campaign_id}, or you may not see it.")
    return campaign


@blp.route("/campaigns", methods=["GET"])
@blp.response(200, CampaignSchema(many=True))
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
def list_campaigns():
    """Campaigns you may see

    Reviewers and admins see every campaign; others see those that opened for their
    department, and their own.
    """
    return [CampaignView(c) for c in service.visible_campaigns(caller())]


@blp.route("/campaigns", methods=["POST"])
@blp.arguments(CampaignCreateSchema)
@blp.response(201, CampaignSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Only sponsors create campaigns")
@blp.alt_response(422, schema=ErrorSchema, description="Invalid fields")
def create_campaign(data):
    """Create a campaign (a draft)

    Department leaders, portfolio managers and admins sponsor campaigns. `fields` lists the
    extra idea fields, one per line. Publish it on its page.
    """
    try:
        campaign = service.save_campaign(None, service.CampaignInput(
            title=data["title"], question=data["question"], context=data["context"],
            opens_on=data["opens_on"], closes_on=data["closes_on"],
            budget_envelope=data["budget_envelope"], department_ids=data["department_ids"],
            objective_ids=data["objective_ids"], fields_text=data["fields"],
        ), caller())  # fmt: skip
    except service.CampaignError as exc:
        if exc.status_code == 400:
            field = {"departments": "department_ids", "objectives": "objective_ids"}.get(
                exc.field or "", exc.field or "_schema"
            )
            abort(422, message=str(exc), fields={field: [str(exc)]})
        abort(exc.status_code, message=str(exc))
    db.session.commit()
    return (
        CampaignView(campaign),
        201,
        {"Location": url_for("Campaigns.get_campaign", campaign_id=campaign.id)},
    )


@blp.route(CAMPAIGN, methods=["GET"])
@blp.response(200, CampaignSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(404, schema=ErrorSchema, description="No such campaign you may see")
def get_campaign(campaign_id: int):
    """One campaign"""
    return CampaignView(_visible(campaign_id))


@blp.route(CAMPAIGN + "/ideas", methods=["GET"])
@blp.response(200, CampaignIdeaSchema(many=True))
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(404, schema=ErrorSchema, description="No such campaign you may see")
def campaign_ideas(campaign_id: int):
    """The ideas answering a campaign

    Every idea of the campaign you may see (others' drafts left out), most votes first, with
    its answers to the campaign's extra fields and what became of it in the latest adopted
    plan that weighed it.
    """
    ideas = service.ideas_of(_visible(campaign_id), caller())
    if ideas:  # the summaries name the objectives too: load them in one query
        db.session.scalars(
            db.select(Idea)
            .where(Idea.id.in_([i.id for i in ideas]))
            .options(selectinload(Idea.objectives))
        ).all()
    said = outcomes.latest_of(ideas)
    return [CampaignIdeaView(idea, said.get(idea.id)) for idea in ideas]
