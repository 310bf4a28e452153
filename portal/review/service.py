"""The BRM's work on ideas: the queue, claiming, triage, merging, links, touchpoints.

Every status change goes through `portal.workflow.apply`; this module adds what the
workflow does not know (who holds an idea, what a merge moves, which ideas are linked).
Functions add to the session and leave the commit to the caller, unless they say so.
"""

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import aliased, joinedload, selectinload

from portal import workflow
from portal.audit import department_leader, idea_audience, notify, record
from portal.campaigns import service as campaigns
from portal.errors import PortalError
from portal.extensions import db
from portal.forms import whole_number
from portal.ideas.service import Named, RowPage, row_page
from portal.models import (
    Campaign,
    Comment,
    CommentKind,
    Department,
    Follow,
    Idea,
    IdeaLink,
    IdeaStatus,
    LinkKind,
    NoticeKind,
    Role,
    Touchpoint,
    TouchpointKind,
    User,
    Vote,
    utcnow,
)
from portal.models.ideas import idea_reference
from portal.models.people import department_brms
from portal.templating import plural

S = IdeaStatus

QUEUE_VIEWS = {
    "waiting": ("Waiting for review (submitted, in review)", workflow.WAITING_FOR_REVIEW),
    "needs_info": ("Waiting for the submitter's answer", workflow.WAITING_FOR_ANSWER),
    "estimated": ("Estimated, waiting for a decision", workflow.WAITING_FOR_DECISION),
    "all": ("Everything under review", workflow.UNDER_REVIEW),
}
QUEUE_SORTS = {
    "oldest": "Oldest first",
    "newest": "Newest first",
    "votes": "Most votes",
    "endorsed": "Endorsed first",
    "department": "Department",
}
# Links the optimizer turns into constraints, and the ones that are only information.
LINK_KINDS = (LinkKind.RELATED, LinkKind.REQUIRES, LinkKind.EXCLUDES, LinkKind.TOGETHER_WITH)
SYMMETRIC_LINKS = frozenset({LinkKind.RELATED, LinkKind.EXCLUDES, LinkKind.TOGETHER_WITH})


class ReviewError(PortalError):
    """The operation is refused; the message is for the user. `status_code` maps to HTTP."""

    status_code = 409


def require_cover(user: User, department_id: int) -> None:
    if not user.covers(department_id):
        raise ReviewError("You do not cover this idea's department.", 403)


def covered_department_ids(user: User) -> list[int] | None:
    """The departments whose queue `user` works; None means all (portfolio manager)."""
    if user.role == Role.PORTFOLIO_MANAGER:
        return None
    if user.role == Role.BRM:
        return [d.id for d in user.covered_departments]
    return []


def visible_departments(user: User) -> list[Department]:
    """The departments whose queue `user` works, by name."""
    if user.role == Role.PORTFOLIO_MANAGER:
        return list(db.session.scalars(sa.select(Department).order_by(Department.name)))
    if user.role == Role.BRM:
        return list(user.covered_departments)  # ordered by name
    return []


# ------------------------------------------------------------------ the queue


@dataclass
class QueueFilters:
    view: str = "waiting"
    sort: str = "oldest"
    department_id: int | None = None
    campaign_id: int | None = None
    unassigned: bool = False
    mine: bool = False
    overdue: bool = False
    endorsed: bool = False


def overdue_before(days: int) -> "date":
    return utcnow() - timedelta(days=days)


@dataclass
class QueueChoices:
    """The lists of the queue page, read in one query (`queue_choices`)."""

    departments: list[Named]  # whose queue the user works, by name (`queue_page` checks it)
    campaigns: list[Named]  # the latest to open first
    assignees: list[tuple[int, str, list[str]]]  # a portfolio manager's; see `assignees`


def _listed(kind: str, columns: tuple, order: tuple) -> sa.Select:
    """A list of `QueueChoices` as rows (kind, position, id, name, detail): numbered in
    `order` by the database (its collation), so the lists can share one statement."""
    id_, name, *detail = columns
    return sa.select(
        sa.literal_column(f"'{kind}'").label("kind"),
        sa.func.row_number().over(order_by=order).label("position"),
        id_.label("id"),
        name.label("name"),
        (detail[0] if detail else sa.cast(sa.null(), sa.String)).label("detail"),
    )


def _in_order(*lists: sa.Select) -> sa.Select:
    """`_listed` lists in one statement, each in its order."""
    rows = sa.union_all(*lists).subquery()
    return sa.select(rows).order_by(rows.c.kind, rows.c.position)


@functools.cache
def _queries() -> dict:
    """The statements of `queue_choices` and `assignees`, built once per process (a BRM's id
    as a parameter): building them anew cost more than running them. Built on first use, as
    the campaigns' order comes from a module that imports this one."""
    departments = _listed("department", (Department.id, Department.name), (Department.name,))
    covered = departments.join(
        department_brms, department_brms.c.department_id == Department.id
    ).where(department_brms.c.user_id == sa.bindparam("user_id"))
    titles = _listed("campaign", (Campaign.id, Campaign.title), (campaigns.TITLE_ORDER,))
    # (id, name, a department they cover or None) of the active reviewers
    reviewers = (
        _listed(
            "assignee",
            (User.id, User.name, Department.name),
            (User.name, User.id, Department.name),
        )
        .select_from(
            User.__table__.outerjoin(
                department_brms, department_brms.c.user_id == User.id
            ).outerjoin(Department, Department.id == department_brms.c.department_id)
        )
        .where(User.active, User.role.in_([Role.BRM, Role.PORTFOLIO_MANAGER]))
    )
    return {
        Role.PORTFOLIO_MANAGER: _in_order(departments, titles, reviewers),
        Role.BRM: _in_order(covered, titles),
        "assignees": _in_order(reviewers),
    }


def _by_person(rows) -> list[tuple[int, str, list[str]]]:
    """Assignee rows in order -> (id, name, the names of the departments they cover)."""
    people: dict[int, tuple[int, str, list[str]]] = {}
    for row in rows:
        covered = people.setdefault(row.id, (row.id, row.name, []))[2]
        if row.detail is not None:
            covered.append(row.detail)
    return list(people.values())


def queue_choices(user: User) -> QueueChoices:
    """What the queue page offers `user`, in one query: the departments whose queue they
    work (a BRM's cover, every one for a portfolio manager), the campaigns to filter by
    and, for a portfolio manager, whom to assign ideas to."""
    rows: dict[str, list] = {"department": [], "campaign": [], "assignee": []}
    if user.role in (Role.BRM, Role.PORTFOLIO_MANAGER):
        params = {"user_id": user.id} if user.role == Role.BRM else {}
        for row in db.session.execute(_queries()[user.role], params):
            rows[row.kind].append(row)
    return QueueChoices(
        departments=[Named(r.id, r.name) for r in rows["department"]],
        campaigns=[Named(r.id, r.name) for r in rows["campaign"]],
        assignees=_by_person(rows["assignee"]),
    )


# The views' and sorts' SQL, built once (QUEUE_VIEWS, QUEUE_SORTS).
_QUEUE_STATES = {view: Idea.status.in_(states) for view, (_, states) in QUEUE_VIEWS.items()}
# "Oldest" is the age the queue shows: how long the idea has waited, which the submitter's
# answer restarts, not when it was submitted. Every idea under review has its
# `waiting_since` (workflow.apply sets it; migration 7c2f4e9a1b3d dated the older ones), so
# the column orders and filters the queue, through ix_ideas_status_waiting_since.
_WAITED = Idea.waiting_since
_QUEUE_ORDERS = {
    "oldest": (_WAITED, Idea.id),
    "newest": (_WAITED.desc(), Idea.id.desc()),
    "votes": (Idea.vote_count.desc(), _WAITED, Idea.id),
    # Endorsed ideas first, the earliest endorsement first; then the oldest.
    "endorsed": (Idea.endorsed_at.is_(None), Idea.endorsed_at, _WAITED, Idea.id),
    "department": (Department.name, _WAITED, Idea.id),  # joined in queue_query
}


def queue_page(
    user: User,
    filters: QueueFilters,
    overdue_days: int,
    departments: list[Named],
    page: int,
    per_page: int,
) -> RowPage:
    """Page `page` of the ideas in `user`'s queue, filtered and sorted, as IdeaRows (raises
    403 outside their cover). `departments`: the user's `QueueChoices.departments`, read
    once for the page. The statements are built once per shape of filters, with the
    values as parameters (`_queue_statement`)."""
    view = filters.view if filters.view in QUEUE_VIEWS else "waiting"
    sort = filters.sort if filters.sort in _QUEUE_ORDERS else "oldest"
    covered = None if user.role == Role.PORTFOLIO_MANAGER else [d.id for d in departments]
    params: dict = {}
    if filters.department_id is not None:
        if covered is not None and filters.department_id not in covered:
            raise ReviewError("You do not cover that department, so its queue is not yours.", 403)
        params["department_id"] = filters.department_id
    elif covered is not None:
        params["covered"] = covered or [-1]
    if filters.campaign_id is not None:
        params["campaign_id"] = filters.campaign_id
    if filters.mine:
        params["user_id"] = user.id
    if filters.overdue:
        params["overdue_before"] = overdue_before(overdue_days)
    shape = (
        view,
        sort,
        *(name in params for name in _QUEUE_PARAMETERS),
        bool(filters.unassigned),
        bool(filters.endorsed),
    )
    return row_page(_queue_statement(shape), page, per_page, params=params, key=("queue", *shape))


# The queue's filters that take a value, in the order of a shape's flags.
_QUEUE_PARAMETERS = ("department_id", "covered", "campaign_id", "user_id", "overdue_before")


@functools.cache
def _queue_statement(shape: tuple) -> sa.Select:
    """The queue's statement for one shape of filters (`queue_page`)."""
    view, sort, department, covered, campaign, mine, overdue, unassigned, endorsed = shape
    query = sa.select(Idea).where(_QUEUE_STATES[view])
    if department:
        query = query.where(Idea.department_id == sa.bindparam("department_id"))
    if covered:
        query = query.where(Idea.department_id.in_(sa.bindparam("covered", expanding=True)))
    if campaign:
        query = query.where(Idea.campaign_id == sa.bindparam("campaign_id"))
    if unassigned:
        query = query.where(Idea.assignee_id.is_(None))
    if mine:
        query = query.where(Idea.assignee_id == sa.bindparam("user_id"))
    if overdue:
        query = query.where(sa.bindparam("overdue_before") > _WAITED)
    if endorsed:
        query = query.where(Idea.endorsed_at.is_not(None))
    if sort == "department":
        query = query.join(Department, Department.id == Idea.department_id)
    return query.order_by(*_QUEUE_ORDERS[sort])


def assignees() -> list[tuple[int, str, list[str]]]:
    """(id, name, names of the departments they cover) of every active BRM and portfolio
    manager, by name: whom a portfolio manager may assign ideas to. Plain rows, one query."""
    return _by_person(db.session.execute(_queries()["assignees"]))


def claim(user: User, idea: Idea) -> None:
    """Take the idea: it is yours to review, and its review starts."""
    require_cover(user, idea.department_id)
    if idea.status not in workflow.UNDER_REVIEW:
        raise ReviewError(f"Only ideas under review can be claimed; it is {idea.status.label}.")
    if idea.assignee_id not in (None, user.id):
        raise ReviewError(
            f"{idea.assignee.name} already holds it; ask them or a portfolio manager to release it."
        )
    before = idea.assignee_id
    idea.assignee = user
    record(
        user, "claimed", idea, idea=idea, before={"assignee": before}, after={"assignee": user.id}
    )
    if db.session.get(Follow, (idea.id, user.id)) is None:
        db.session.add(Follow(idea_id=idea.id, user_id=user.id))
    if idea.status == S.SUBMITTED:
        workflow.apply(idea, "start_review", user)


def release(user: User, idea: Idea) -> None:
    """Give the idea back to the queue (its holder or a portfolio manager)."""
    require_cover(user, idea.department_id)
    if idea.assignee_id is None:
        raise ReviewError("Nobody holds this idea.")
    if idea.assignee_id != user.id and user.role != Role.PORTFOLIO_MANAGER:
        raise ReviewError("Only its holder or a portfolio manager may release it.", 403)
    before = idea.assignee_id
    idea.assignee = None
    record(user, "released", idea, idea=idea, before={"assignee": before}, after={"assignee": None})


def assign(manager: User, ideas: list[Idea], assignee: User) -> int:
    """Give ideas to a reviewer; all or nothing. Returns how many changed hands."""
    if manager.role != Role.PORTFOLIO_MANAGER:
        raise ReviewError("Only a portfolio manager may assign ideas.", 403)
    if not ideas:
        raise ReviewError("Choose at least one idea to assign.", 400)
    if not assignee.active or assignee.role not in (Role.BRM, Role.PORTFOLIO_MANAGER):
        raise ReviewError(f"{assignee.name} is not an active reviewer.", 400)
    uncovered = [i.reference for i in ideas if not assignee.covers(i.department_id)]
    if uncovered:
        raise ReviewError(
            f"{assignee.name} does not cover the department of {', '.join(uncovered)}; "
            "nothing was assigned.",
            400,
        )
    closed = [i.reference for i in ideas if i.status not in workflow.UNDER_REVIEW]
    if closed:
        raise ReviewError(
            f"{', '.join(closed)} {'is' if len(closed) == 1 else 'are'} no longer under review; "
            "nothing was assigned.",
        )
    changed = [i for i in ideas if i.assignee_id != assignee.id]
    for idea in changed:
        record(
            manager,
            "assigned",
            idea,
            idea=idea,
            before={"assignee": idea.assignee_id},
            after={"assignee": assignee.id},
        )
        idea.assignee = assignee
        if db.session.get(Follow, (idea.id, assignee.id)) is None:
            db.session.add(Follow(idea_id=idea.id, user_id=assignee.id))
    if changed and assignee.id != manager.id:
        refs = ", ".join(i.reference for i in changed[:10])
        more = f" and {len(changed) - 10} more" if len(changed) > 10 else ""
        notify(
            [assignee],
            f"{manager.name} assigned you {plural(len(changed), 'idea')} to review: {refs}{more}.",
            idea=changed[0] if len(changed) == 1 else None,
            kind=NoticeKind.QUEUE,
        )
    return len(changed)


# ------------------------------------------------------------------ triage


def find_idea(reference: str) -> Idea | None:
    """An idea by 'IDEA-12', '#12' or '12'."""
    text = (reference or "").strip().upper().removeprefix("IDEA-").removeprefix("#").strip()
    number = whole_number(text)
    return None if number is None else db.session.get(Idea, number)


@dataclass
class MergeResult:
    votes_moved: int = 0
    votes_merged: int = 0
    comments_moved: int = 0
    followers_moved: int = 0
    told: list[User] = field(default_factory=list)


def merge(user: User, duplicate: Idea, survivor: Idea, note: str = "") -> MergeResult:
    """Mark `duplicate` as a duplicate of `survivor` and move what hangs off it.

    Votes move over and a voter who voted on both counts once; comments and followers
    move; the two ideas link to each other; the people of both ideas are told.
    """
    if survivor.id == duplicate.id:
        raise ReviewError("An idea cannot be a duplicate of itself.", 400, "target")
    if survivor.status in workflow.NOT_MERGEABLE_INTO:
        hint = ""
        if survivor.status == S.DUPLICATE and survivor.merged_into_id:
            hint = f" Merge into IDEA-{survivor.merged_into_id} instead."
        raise ReviewError(
            f"{survivor.reference} is {survivor.status.label.lower()}; it cannot take in "
            f"another idea.{hint}",
            400,
            "target",
        )
    require_cover(user, duplicate.department_id)
    people = {u.id: u for u in idea_audience(duplicate, exclude=user)}
    people.update({u.id: u for u in idea_audience(survivor, exclude=user)})
    if survivor.assignee and survivor.assignee.id != user.id:
        people[survivor.assignee.id] = survivor.assignee

    duplicate.merged_into = survivor
    workflow.apply(
        duplicate,
        "mark_duplicate",
        user,
        f"{survivor.reference} “{survivor.title}”",
        notify_people=False,
    )
    result = MergeResult()

    survivor_voters = set(
        db.session.scalars(sa.select(Vote.user_id).where(Vote.idea_id == survivor.id))
    )
    for vote in db.session.scalars(sa.select(Vote).where(Vote.idea_id == duplicate.id)).all():
        if vote.user_id in survivor_voters:
            db.session.delete(vote)
            result.votes_merged += 1
        else:
            vote.idea_id = survivor.id
            survivor_voters.add(vote.user_id)
            result.votes_moved += 1
    comments = db.session.scalars(sa.select(Comment).where(Comment.idea_id == duplicate.id)).all()
    for comment in comments:
        comment.idea_id = survivor.id
        comment.idea = survivor
    result.comments_moved = len(comments)
    survivor_followers = set(
        db.session.scalars(sa.select(Follow.user_id).where(Follow.idea_id == survivor.id))
    )
    movers = {duplicate.submitter_id} | set(
        db.session.scalars(sa.select(Follow.user_id).where(Follow.idea_id == duplicate.id))
    )
    db.session.execute(sa.delete(Follow).where(Follow.idea_id == duplicate.id))
    for user_id in movers - survivor_followers:
        db.session.add(Follow(idea_id=survivor.id, user_id=user_id))
        result.followers_moved += 1
    db.session.add(
        IdeaLink(
            source_id=duplicate.id,
            target_id=survivor.id,
            kind=LinkKind.DUPLICATE_OF,
            note=(note or "").strip() or None,
            created_by_id=user.id,
        )
    )
    db.session.add(
        Comment(
            idea=survivor,
            author=user,
            kind=CommentKind.COMMENT,
            body=f"{duplicate.reference} “{duplicate.title}” by {duplicate.submitter.name} "
            f"was merged into this idea: {plural(result.votes_moved, 'vote')}, "
            f"{plural(result.comments_moved, 'comment')} and its followers moved here.",
        )
    )
    db.session.flush()
    for idea in (duplicate, survivor):
        idea.vote_count = db.session.scalar(
            sa.select(sa.func.count(Vote.id)).where(Vote.idea_id == idea.id)
        )
    record(
        user,
        "merged",
        survivor,
        idea=survivor,
        after={
            "from": duplicate.id,
            "votes_moved": result.votes_moved,
            "votes_merged": result.votes_merged,
            "comments": result.comments_moved,
        },
    )
    result.told = list(people.values())
    notify(
        result.told,
        f"{duplicate.reference} “{duplicate.title}” was merged into {survivor.reference} "
        f"“{survivor.title}”: votes, comments and followers now count there.",
        idea=survivor,
    )
    return result


# ------------------------------------------------------------------ links


def add_link(
    user: User, source: Idea, target: Idea | None, kind: LinkKind, note: str = ""
) -> IdeaLink:
    """Link two ideas (across departments too); requires/excludes/together feed the optimizer."""
    require_cover(user, source.department_id)
    # A draft is refused in the very words of a missing idea: the answer must not tell a
    # reviewer that someone's unsubmitted draft exists.
    if target is None or target.status == S.DRAFT:
        raise ReviewError("There is no idea with that reference.", 400, "target")
    if target.id == source.id:
        raise ReviewError("An idea cannot be linked to itself.", 400, "target")
    if kind not in LINK_KINDS:
        raise ReviewError("Choose related, requires, excludes or together with.", 400, "kind")
    pair = sa.or_(
        sa.and_(IdeaLink.source_id == source.id, IdeaLink.target_id == target.id),
        sa.and_(IdeaLink.source_id == target.id, IdeaLink.target_id == source.id),
    )
    existing = db.session.scalars(sa.select(IdeaLink).where(pair)).all()
    for link in existing:
        same_direction = link.source_id == source.id
        if link.kind == kind and (same_direction or kind in SYMMETRIC_LINKS):
            raise ReviewError(f"The ideas are already linked ({kind.label}).", 409, "target")
        clash = {link.kind, kind}
        if LinkKind.EXCLUDES in clash and clash & {LinkKind.REQUIRES, LinkKind.TOGETHER_WITH}:
            raise ReviewError(
                f"{source.reference} and {target.reference} are already linked as "
                f"‘{link.kind.label}’, which contradicts ‘{kind.label}’. Remove that link first.",
                409,
                "kind",
            )
    link = IdeaLink(
        source_id=source.id,
        target_id=target.id,
        kind=kind,
        note=(note or "").strip() or None,
        created_by_id=user.id,
    )
    db.session.add(link)
    db.session.flush()
    record(
        user,
        "linked",
        source,
        idea=source,
        after={"kind": kind.value, "target": target.id, "note": link.note},
    )
    record(
        user,
        "linked",
        target,
        idea=target,
        after={"kind": kind.value, "source": source.id, "note": link.note},
    )
    return link


def remove_link(user: User, link: IdeaLink) -> None:
    if link.kind == LinkKind.DUPLICATE_OF:
        raise ReviewError("A merge cannot be undone by removing its link.", 409)
    if not (user.covers(link.source.department_id) or user.covers(link.target.department_id)):
        raise ReviewError("You do not cover either idea's department.", 403)
    record(
        user,
        "unlinked",
        link.source,
        idea=link.source,
        before={"kind": link.kind.value, "target": link.target_id},
    )
    db.session.delete(link)


@dataclass(frozen=True, slots=True)
class LinkLine:
    """A link touching an idea, read from that idea: "This idea <reads> <the other>"."""

    id: int
    kind: LinkKind
    note: str | None
    reads: str
    other_id: int
    other_title: str
    other_department: str

    @property
    def other_reference(self) -> str:
        return idea_reference(self.other_id)


# How a link reads in a sentence about one of its ideas, "This idea <reads> IDEA-5": from
# its source, and from its target where that reads otherwise.
READING = {
    LinkKind.RELATED: "is related to",
    LinkKind.DUPLICATE_OF: "is a duplicate of",
    LinkKind.REQUIRES: "requires",
    LinkKind.EXCLUDES: "excludes",
    LinkKind.TOGETHER_WITH: "goes together with",
}
REVERSE_READING = {
    LinkKind.DUPLICATE_OF: "is duplicated by",
    LinkKind.REQUIRES: "is required by",
}


_OTHER = aliased(Idea, name="other")
_FROM_HERE = IdeaLink.source_id == sa.bindparam("idea_id")
# Built once, with the idea as a parameter: building it anew cost as much as running it.
_LINKS = (
    sa.select(
        IdeaLink.id,
        IdeaLink.kind,
        IdeaLink.note,
        _FROM_HERE,
        _OTHER.id,
        _OTHER.title,
        Department.name,
    )
    .join(_OTHER, _OTHER.id == sa.case((_FROM_HERE, IdeaLink.target_id), else_=IdeaLink.source_id))
    .join(Department, Department.id == _OTHER.department_id)
    .where(sa.or_(_FROM_HERE, IdeaLink.target_id == sa.bindparam("idea_id")))
    .order_by(IdeaLink.created_at, IdeaLink.id)
)


def links_of(idea: Idea) -> list[LinkLine]:
    """Every link touching the idea, oldest first, with the other idea's title and
    department (one query of plain rows)."""
    return [
        LinkLine(
            link_id,
            kind,
            note,
            READING[kind] if forward else REVERSE_READING.get(kind, READING[kind]),
            *rest,
        )
        for link_id, kind, note, forward, *rest in db.session.execute(_LINKS, {"idea_id": idea.id})
    ]


# ------------------------------------------------------------------ touchpoints


def _touchpoint_details(held_on: date, notes: str, idea_ids: list[int]) -> tuple[str, list[Idea]]:
    """What a touchpoint says, checked: its notes (required) and the ideas it names."""
    if held_on > date.today() + timedelta(days=1):
        raise ReviewError(
            "A touchpoint is logged after it happened; the date is in the future.", 400, "held_on"
        )
    notes = (notes or "").strip()
    if not notes:
        raise ReviewError(
            "Write what was discussed: a touchpoint without notes tells nobody anything.",
            400,
            "notes",
        )
    ideas = []
    if idea_ids:
        ideas = list(db.session.scalars(sa.select(Idea).where(Idea.id.in_(idea_ids))))
        if len(ideas) != len(set(idea_ids)) or any(i.status == S.DRAFT for i in ideas):
            raise ReviewError("Link only existing, submitted ideas.", 400, "ideas")
    return notes, ideas


def _touchpoint_facts(touchpoint: Touchpoint) -> dict:
    """A touchpoint as its audit events describe it."""
    return {
        "department": touchpoint.department_id,
        "held_on": touchpoint.held_on.isoformat(),
        "kind": touchpoint.kind.value,
        "notes": touchpoint.notes,
        "ideas": sorted(i.id for i in touchpoint.ideas),
    }


def log_touchpoint(
    user: User,
    department: Department,
    held_on: date,
    kind: TouchpointKind,
    notes: str,
    idea_ids: list[int],
) -> Touchpoint:
    """Record a contact with a department's leader."""
    if user.role != Role.BRM or not user.covers(department.id):
        raise ReviewError("Only a BRM covering the department logs its touchpoints.", 403)
    notes, ideas = _touchpoint_details(held_on, notes, idea_ids)
    touchpoint = Touchpoint(
        brm=user,
        department=department,
        held_on=held_on,
        kind=kind,
        notes=notes,
        ideas=ideas,
    )
    db.session.add(touchpoint)
    db.session.flush()
    record(
        user,
        "touchpoint_logged",
        touchpoint,
        after={"department": department.id, "kind": kind.value, "ideas": idea_ids},
    )
    notify(
        department_leader(department.id, exclude=user),
        f"{user.name} logged a touchpoint with you ({kind.value}, {held_on:%d %b %Y}, "
        f"{department.name}): {touchpoint.notes}",
        link=url_for("leaders.home", _anchor=f"touchpoint-{touchpoint.id}"),
    )
    return touchpoint


def may_change_touchpoint(user: User, touchpoint: Touchpoint) -> bool:
    """Only the BRM who logged a touchpoint edits or deletes it."""
    return user.role == Role.BRM and touchpoint.brm_id == user.id


def _require_touchpoint_owner(user: User, touchpoint: Touchpoint) -> None:
    if not may_change_touchpoint(user, touchpoint):
        raise ReviewError("Only the BRM who logged a touchpoint may change or delete it.", 403)


def edit_touchpoint(
    user: User,
    touchpoint: Touchpoint,
    held_on: date,
    kind: TouchpointKind,
    notes: str,
    idea_ids: list[int],
) -> Touchpoint:
    """Correct a touchpoint (the caller commits); audited with what it said before."""
    _require_touchpoint_owner(user, touchpoint)
    notes, ideas = _touchpoint_details(held_on, notes, idea_ids)
    before = _touchpoint_facts(touchpoint)
    touchpoint.held_on, touchpoint.kind, touchpoint.notes = held_on, kind, notes
    touchpoint.ideas = ideas
    after = _touchpoint_facts(touchpoint)
    if after != before:
        record(user, "touchpoint_edited", touchpoint, before=before, after=after)
    return touchpoint


def delete_touchpoint(user: User, touchpoint: Touchpoint) -> None:
    """Remove a touchpoint (the caller commits); the audit trail keeps what it said."""
    _require_touchpoint_owner(user, touchpoint)
    record(user, "touchpoint_deleted", touchpoint, before=_touchpoint_facts(touchpoint))
    db.session.delete(touchpoint)


@dataclass
class DepartmentSummary:
    """One department's card on the departments page."""

    department: Department
    counts: dict[IdeaStatus, int]  # ideas by status, drafts left out
    last_held_on: date | None  # the last touchpoint's day


def department_summaries(departments: list[Department]) -> list[DepartmentSummary]:
    """The cards of `departments`, in their order: the same statements whatever their
    number (their BRMs and leaders, their ideas counted by status, their last touchpoints)."""
    ids = [d.id for d in departments]
    if not ids:
        return []
    db.session.scalars(
        sa.select(Department)
        .where(Department.id.in_(ids))
        .options(selectinload(Department.brms), selectinload(Department.leader))
    ).all()  # into the departments already loaded
    counts: dict[int, dict[IdeaStatus, int]] = {i: {} for i in ids}
    for department_id, status, count in db.session.execute(
        sa.select(Idea.department_id, Idea.status, sa.func.count())
        .where(Idea.department_id.in_(ids), Idea.status != S.DRAFT)
        .group_by(Idea.department_id, Idea.status)
    ):
        counts[department_id][status] = count
    last = dict(
        db.session.execute(
            sa.select(Touchpoint.department_id, sa.func.max(Touchpoint.held_on))
            .where(Touchpoint.department_id.in_(ids))
            .group_by(Touchpoint.department_id)
        ).all()
    )
    return [DepartmentSummary(d, counts[d.id], last.get(d.id)) for d in departments]


@dataclass
class DepartmentOverview:
    department: Department
    touchpoints: list[Touchpoint]
    counts: dict[IdeaStatus, int]
    ideas_by_status: dict[IdeaStatus, list[Idea]]
    last_touchpoint: Touchpoint | None


def department_overview(department: Department, per_status: int = 8) -> DepartmentOverview:
    counts = dict(
        db.session.execute(
            sa.select(Idea.status, sa.func.count(Idea.id))
            .where(Idea.department_id == department.id, Idea.status != S.DRAFT)
            .group_by(Idea.status)
        ).all()
    )
    # The first `per_status` ideas of each status, most votes first, in one statement.
    rank = sa.func.row_number().over(
        partition_by=Idea.status, order_by=(Idea.vote_count.desc(), Idea.id.desc())
    )
    ranked = (
        sa.select(Idea, rank.label("rank"))
        .where(Idea.department_id == department.id, Idea.status != S.DRAFT)
        .subquery()
    )
    first = aliased(Idea, ranked)
    found: dict[IdeaStatus, list[Idea]] = {}
    for idea in db.session.scalars(
        sa.select(first).where(ranked.c.rank <= per_status).order_by(ranked.c.rank)
    ):
        found.setdefault(idea.status, []).append(idea)
    ideas_by_status = {status: found[status] for status in IdeaStatus if status in found}
    touchpoints = list(
        db.session.scalars(
            sa.select(Touchpoint)
            .where(Touchpoint.department_id == department.id)
            .options(joinedload(Touchpoint.brm), selectinload(Touchpoint.ideas))
            .order_by(Touchpoint.held_on.desc(), Touchpoint.id.desc())
            .limit(50)
        )
    )
    return DepartmentOverview(
        department, touchpoints, counts, ideas_by_status, touchpoints[0] if touchpoints else None
    )
