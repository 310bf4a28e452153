"""Idea pages: browse, write, submit, vote, comment, follow, a leader's endorsement."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import workflow
from portal.admin.service import department_choices
from portal.auth.login import roles_required
from portal.campaigns import service as campaigns
from portal.extensions import db
from portal.forms import (
    IGNORED_FILTERS,
    attempt,
    blank_form,
    choices,
    query_int,
    read_filters,
    submit,
)
from portal.ideas import bp
from portal.ideas.forms import CommentForm, EmptyForm, IdeaForm, ReasonForm, SearchForm
from portal.ideas.service import (
    IdeaFilters,
    IdeaInput,
    IdeaOnPage,
    add_comment,
    can_view,
    create_idea,
    discussion_and_history,
    has_voted,
    idea_for_page,
    is_following,
    may_endorse,
    my_ideas,
    search_page,
    set_endorsement,
    toggle_follow,
    toggle_vote,
    transition,
    update_draft,
)
from portal.models import Idea, IdeaStatus, Role
from portal.portfolio import outcomes


def _idea_form(idea: Idea | None = None) -> IdeaForm:
    form = IdeaForm(obj=idea if request.method == "GET" else None)
    form.department.choices = choices(department_choices())
    form.objectives.choices = choices(campaigns.objective_choices())
    # The open campaigns asking the author's department; a draft keeps showing its own.
    form.open_campaigns = campaigns.open_for(current_user)
    if idea is not None and idea.campaign and idea.campaign not in form.open_campaigns:
        form.open_campaigns.append(idea.campaign)
    form.campaign.choices = choices(
        [(0, "None: the open stream")] + [(c.id, c.title) for c in form.open_campaigns]
    )
    if request.method == "GET":
        form.department.data = idea.department_id if idea else current_user.department_id
        form.objectives.data = [o.id for o in idea.objectives] if idea else []
        asked = query_int("campaign", 0)
        form.campaign.data = (idea.campaign_id or 0) if idea else asked
        if idea is None:  # answering a campaign: its objectives are ticked to start with
            served = [c.objectives for c in form.open_campaigns if c.id == asked]
            form.objectives.data = [o.id for o in served[0]] if served else []
        form.answers = (idea.campaign_answers or {}) if idea else {}
    else:
        form.answers = {}
    return form


def _answers(form: IdeaForm) -> dict:
    """The typed answers to the chosen campaign's extra fields (checked by the service)."""
    prefix = f"campaign-{form.campaign.data}-"
    return {k[len(prefix) :]: v for k, v in request.form.items() if k.startswith(prefix)}


def _input(form: IdeaForm) -> IdeaInput:
    return IdeaInput(
        campaign_id=form.campaign.data or None,
        answers=_answers(form),
        title=form.title.data,
        problem=form.problem.data,
        proposal=form.proposal.data,
        expected_benefit=form.expected_benefit.data,
        department_id=form.department.data,
        objective_ids=list(form.objectives.data or []),
    )


def _viewable_idea(idea_id: int) -> Idea:
    idea = db.get_or_404(Idea, idea_id)
    if not can_view(current_user, idea):
        abort(404)
    return idea


@bp.route("/")
@login_required
def index():
    form = SearchForm(request.args)
    form.department.choices = choices(
        [("", "All departments")] + [(str(i), n) for i, n in department_choices()]
    )
    form.status.choices = choices([("", "Any status")] + [(s.value, s.label) for s in IdeaStatus])
    form.objective.choices = choices(
        [("", "Any objective")] + [(str(i), n) for i, n in campaigns.objective_choices()]
    )
    bad = read_filters(form)
    filters = IdeaFilters(sort=("sort" not in bad and form.sort.data) or "newest")
    if "q" not in bad:
        filters.q = (form.q.data or "").strip()
    if "department" not in bad and form.department.data:
        filters.department_id = int(form.department.data)
    if "status" not in bad and form.status.data:
        filters.status = IdeaStatus(form.status.data)
    if "objective" not in bad and form.objective.data:
        filters.objective_id = int(form.objective.data)
    if bad - {"q"}:  # a search that is too long is said at the field
        flash(IGNORED_FILTERS, "warning")
    page = search_page(
        current_user, filters, query_int("page", 1), current_app.config["IDEAS_PER_PAGE"]
    )
    return render_template("ideas/index.html", form=form, page=page)


@bp.route("/mine")
@login_required
def mine():
    return render_template("ideas/mine.html", ideas=my_ideas(current_user))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = _idea_form()
    submitted = submit(
        form,
        lambda: create_idea(current_user, _input(form), submit=form.submit_idea.data),
        field="title",
    )
    if submitted.done:
        db.session.commit()
        idea = submitted.result
        if idea.status == IdeaStatus.SUBMITTED:
            flash("Your idea was submitted. A BRM will pick it up.", "success")
        else:
            flash("Draft saved. Only you can see it until you submit it.", "success")
        return redirect(url_for("ideas.detail", idea_id=idea.id))
    return render_template("ideas/form.html", form=form, idea=None), submitted.status


@bp.route("/<id:idea_id>/edit", methods=["GET", "POST"])
@login_required
def edit(idea_id: int):
    idea = _viewable_idea(idea_id)
    if idea.submitter_id != current_user.id:
        abort(403)
    if idea.status != IdeaStatus.DRAFT:
        flash("Only drafts can be edited; this idea has been submitted.", "warning")
        return redirect(url_for("ideas.detail", idea_id=idea.id))
    form = _idea_form(idea)
    submitted = submit(
        form,
        lambda: update_draft(current_user, idea, _input(form), submit=form.submit_idea.data),
        field="title",
    )
    if submitted.done:
        db.session.commit()
        flash("Submitted for review." if form.submit_idea.data else "Draft saved.", "success")
        return redirect(url_for("ideas.detail", idea_id=idea.id))
    return render_template("ideas/form.html", form=form, idea=idea), submitted.status


def _detail_page(
    idea: Idea,
    comment_form: CommentForm | None = None,
    reason_form: ReasonForm | None = None,
    refused_transition: str | None = None,
    *,
    facts: IdeaOnPage | None = None,
) -> str:
    """The idea's page; `facts` (when the idea was read by `idea_for_page`) say whether the
    viewer votes for and follows it and what else there is to read; without them each is
    asked here."""
    planned = facts is None or facts.planned
    comments, changes = discussion_and_history(idea)
    transitions = workflow.available(idea, current_user)
    return render_template(
        "ideas/detail.html",
        idea=idea,
        facts=facts,
        voted=has_voted(current_user, idea) if facts is None else facts.voted,
        following=is_following(current_user, idea) if facts is None else facts.following,
        may_endorse=may_endorse(current_user, idea),
        comments=comments,
        history=changes,
        transitions=transitions,
        not_yet={t.name: why for t in transitions if (why := t.not_yet(idea))},
        outcome=outcomes.latest(idea) if planned else None,
        comment_form=comment_form or blank_form(CommentForm),
        reason_form=reason_form or blank_form(ReasonForm),
        refused_transition=refused_transition,
    )


@bp.route("/<id:idea_id>")
@login_required
def detail(idea_id: int):
    found = idea_for_page(idea_id, current_user)
    if found is None or not can_view(current_user, found.idea):
        abort(404)
    return _detail_page(found.idea, facts=found)


@bp.route("/<id:idea_id>/vote", methods=["POST"])
@login_required
def vote(idea_id: int):
    idea = _viewable_idea(idea_id)
    voted, refused = attempt(lambda: toggle_vote(current_user, idea))
    if refused is not None:
        flash(str(refused), "warning")
        return _detail_page(idea), refused.status_code
    db.session.commit()
    flash("Thanks for your vote." if voted else "Your vote was taken back.", "success")
    return redirect(url_for("ideas.detail", idea_id=idea.id))


@bp.route("/<id:idea_id>/follow", methods=["POST"])
@login_required
def follow(idea_id: int):
    idea = _viewable_idea(idea_id)
    following = toggle_follow(current_user, idea)
    db.session.commit()
    flash(
        "You will be told about every change." if following else "You no longer follow it.",
        "info",
    )
    return redirect(url_for("ideas.detail", idea_id=idea.id))


@bp.route("/<id:idea_id>/endorse", methods=["POST"])
@roles_required(Role.LEADER)
def endorse(idea_id: int):
    return _endorse(idea_id, True)


@bp.route("/<id:idea_id>/endorse/withdraw", methods=["POST"])
@roles_required(Role.LEADER)
def withdraw_endorsement(idea_id: int):
    return _endorse(idea_id, False)


def _endorse(idea_id: int, endorse: bool):
    idea = _viewable_idea(idea_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    _, refused = attempt(lambda: set_endorsement(current_user, idea, endorse))
    if refused is not None:
        if refused.status_code == 403:
            raise refused
        flash(str(refused), "warning")
        return _detail_page(idea), refused.status_code
    db.session.commit()
    flash(
        "Endorsed: BRMs see that the department leader backs it."
        if endorse
        else "Your endorsement was taken back.",
        "success",
    )
    return redirect(url_for("ideas.detail", idea_id=idea.id))


@bp.route("/<id:idea_id>/comments", methods=["POST"])
@login_required
def comment(idea_id: int):
    idea = _viewable_idea(idea_id)
    form = CommentForm()
    if not form.validate_on_submit():
        flash("Comment not posted: see the message below the comment box.", "danger")
        return _detail_page(idea, form), 400
    _, refused = attempt(lambda: add_comment(current_user, idea, form.body.data))
    if refused is not None:
        flash(str(refused), "danger")
        return _detail_page(idea, form), refused.status_code
    db.session.commit()
    flash("Comment posted.", "success")
    return redirect(url_for("ideas.detail", idea_id=idea.id, _anchor="comments"))


@bp.route("/<id:idea_id>/transition/<name>", methods=["POST"])
@login_required
def change_status(idea_id: int, name: str):
    idea = _viewable_idea(idea_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        # The text stays in its box under the message, as typed.
        return _detail_page(idea, reason_form=form, refused_transition=name), 400
    _, refused = attempt(lambda: transition(current_user, idea, name, form.reason.data))
    if refused is not None:
        if refused.status_code == 403:
            raise refused
        if refused.field == "reason":  # said under the box the reason goes in
            form.reason.errors = [*form.reason.errors, str(refused)]
            return _detail_page(idea, reason_form=form, refused_transition=name), 400
        flash(str(refused), "danger")
        return _detail_page(idea), refused.status_code
    db.session.commit()
    flash(f"{idea.reference} is now “{idea.status.label}”: {idea.status.explanation}", "success")
    return redirect(url_for("ideas.detail", idea_id=idea.id))
