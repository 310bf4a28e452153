"""API: browse, read, write, vote on and comment on ideas (rules from portal.ideas.service)."""

from flask import url_for
from flask_smorest import Blueprint, abort
from werkzeug.exceptions import HTTPException

from portal.api.auth import authenticate, caller
from portal.api.errors import ErrorSchema, handle_http_error
from portal.api.schemas import (
    CommentCreateSchema,
    CommentSchema,
    IdeaCreateSchema,
    IdeaPageSchema,
    IdeaQuerySchema,
    IdeaSchema,
    MeSchema,
    VoteSchema,
)
from portal.errors import PortalError
from portal.extensions import db
from portal.ideas import service
from portal.models import Idea

blp = Blueprint("Ideas", __name__, url_prefix="/api/v1", description="Ideas, votes and comments.")
blp.before_request(authenticate)
blp.register_error_handler(HTTPException, handle_http_error)

IDEA = "/ideas/<id:idea_id>"
# The service names form fields; the API names the JSON fields.
API_FIELDS = {"department": "department_id", "objectives": "objective_ids"}


def refuse(exc: PortalError):
    """Answer a refused operation: bad input is 422 on its field, the rest keeps its code."""
    if exc.status_code == 400:
        field = API_FIELDS.get(exc.field or "", exc.field or "_schema")
        abort(422, message=str(exc), fields={field: [str(exc)]})
    abort(exc.status_code, message=str(exc))


def viewable_idea(idea_id: int) -> Idea:
    """The idea, when the caller may see it; 404 otherwise, exactly like the web pages."""
    idea = db.session.get(Idea, idea_id)
    if idea is None or not service.can_view(caller(), idea):
        abort(404, message=f"There is no idea IDEA-{idea_id}, or you may not see it.")
    return idea


class IdeaView:
    """An idea seen by the caller: the idea's fields plus whether the caller voted."""

    def __init__(self, idea: Idea, voted: bool):
        self._idea = idea
        self.voted = voted

    def __getattr__(self, name):
        return getattr(self._idea, name)


def idea_view(idea: Idea) -> IdeaView:
    return IdeaView(idea, service.has_voted(caller(), idea))


@blp.route("/me", methods=["GET"])
@blp.response(200, MeSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
def me():
    """Who the token belongs to"""
    return caller()


@blp.route("/ideas", methods=["GET"])
@blp.arguments(IdeaQuerySchema, location="query")
@blp.response(200, IdeaPageSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(422, schema=ErrorSchema, description="Invalid filter")
def list_ideas(args):
    """Browse ideas

    Every idea you may see (all but other people's drafts), filtered, sorted and a page
    at a time, like the Ideas page. Matches are counted up to 10,000: beyond that,
    `total` is 10,000 and `total_exact` is false (later pages still work).
    """
    filters = service.IdeaFilters(
        q=args.get("q", ""),
        department_id=args.get("department_id"),
        status=args.get("status"),
        objective_id=args.get("objective_id"),
        sort=args["sort"],
    )
    return service.page_of(service.search(caller(), filters), args["page"], args["per_page"])


@blp.route("/ideas", methods=["POST"])
@blp.arguments(IdeaCreateSchema)
@blp.response(201, IdeaSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(422, schema=ErrorSchema, description="Invalid fields")
def create_idea(data):
    """Write an idea

    Saved as a draft only you can see, or submitted for review straight away with
    `"submit": true`.
    """
    user = caller()
    try:
        idea = service.create_idea(
            user,
            service.IdeaInput(
                title=data["title"],
                problem=data["problem"],
                proposal=data["proposal"],
                expected_benefit=data["expected_benefit"],
                department_id=data.get("department_id") or user.department_id,
                objective_ids=list(dict.fromkeys(data["objective_ids"])),
            ),
            submit=data["submit"],
        )
    except service.IdeaError as exc:
        refuse(exc)
    db.session.commit()
    location = url_for("Ideas.get_idea", idea_id=idea.id)
    return IdeaView(idea, False), {"Location": location}


@blp.route(IDEA, methods=["GET"])
@blp.response(200, IdeaSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(404, schema=ErrorSchema, description="No such idea, or another's draft")
def get_idea(idea_id: int):
    """Read an idea"""
    return idea_view(viewable_idea(idea_id))


def _vote(idea_id: int, vote: bool):
    idea = viewable_idea(idea_id)
    try:
        voted = service.set_vote(caller(), idea, vote)
    except service.IdeaError as exc:
        refuse(exc)
    db.session.commit()
    return {"voted": voted, "vote_count": db.session.get(Idea, idea_id).vote_count}


@blp.route(IDEA + "/vote", methods=["PUT"])
@blp.response(200, VoteSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(404, schema=ErrorSchema, description="No such idea")
@blp.alt_response(409, schema=ErrorSchema, description="Votes are closed (draft or closed idea)")
def vote(idea_id: int):
    """Vote for an idea (once; voting again changes nothing)"""
    return _vote(idea_id, True)


@blp.route(IDEA + "/vote", methods=["DELETE"])
@blp.response(200, VoteSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(404, schema=ErrorSchema, description="No such idea")
@blp.alt_response(409, schema=ErrorSchema, description="Votes are closed (draft or closed idea)")
def unvote(idea_id: int):
    """Take your vote back"""
    return _vote(idea_id, False)


@blp.route(IDEA + "/comments", methods=["GET"])
@blp.response(200, CommentSchema(many=True))
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(404, schema=ErrorSchema, description="No such idea")
def list_comments(idea_id: int):
    """Read the discussion of an idea, oldest first"""
    return viewable_idea(idea_id).comments


@blp.route(IDEA + "/comments", methods=["POST"])
@blp.arguments(CommentCreateSchema)
@blp.response(201, CommentSchema)
@blp.alt_response(401, schema=ErrorSchema, description="No valid token")
@blp.alt_response(403, schema=ErrorSchema, description="Comments are not allowed here")
@blp.alt_response(404, schema=ErrorSchema, description="No such idea")
@blp.alt_response(422, schema=ErrorSchema, description="Invalid fields")
def add_comment(data, idea_id: int):
    """Comment on an idea"""
    idea = viewable_idea(idea_id)
    try:
        comment = service.add_comment(caller(), idea, data["body"])
    except service.IdeaError as exc:
        refuse(exc)
    db.session.commit()
    return comment
