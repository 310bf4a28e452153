"""Operations on ideas for the people who write, vote on and discuss them."""

import functools
import operator
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql.visitors import InternalTraversal

from portal import workflow
from portal.audit import idea_audience, notify, record, record_many
from portal.campaigns import rules as campaign_rules
from portal.campaigns import service as campaigns
from portal.errors import PortalError
from portal.extensions import db
from portal.forms import LIKE_ESCAPE, like_pattern
from portal.ideas.rules import idea_problems
from portal.models import (
    AuditEvent,
    Campaign,
    Comment,
    CommentKind,
    Department,
    Estimate,
    Follow,
    Idea,
    IdeaLink,
    IdeaStatus,
    PlanOutcome,
    StrategicObjective,
    User,
    Vote,
    utcnow,
)
from portal.models.ideas import idea_objectives, idea_reference


class IdeaError(PortalError):
    """The operation is refused; the message is for the user. `status_code` maps to HTTP."""

    status_code = 409


@dataclass
class IdeaInput:
    title: str
    problem: str
    proposal: str
    expected_benefit: str
    department_id: int
    objective_ids: list[int]
    # The campaign the idea answers (None: the open stream) and the answers to its extra
    # fields as typed, {field key: text}.
    campaign_id: int | None = None
    answers: dict = field(default_factory=dict)


def can_view(user: User, idea: Idea) -> bool:
    """Drafts are private to their submitter; everything else is open to every user."""
    return idea.status != IdeaStatus.DRAFT or idea.submitter_id == user.id


def _check_fields(data: IdeaInput, draft: bool = False) -> None:
    """Refuse text that breaks the idea field rules (portal.ideas.rules); a `draft` needs
    only its title."""
    if problems := idea_problems(vars(data), draft=draft):
        name, problem = next(iter(problems.items()))
        raise IdeaError(problem, 400, field=name)


NO_DEPARTMENT = "That department does not exist."
INACTIVE_OBJECTIVES = "Choose only active strategic objectives."


def _draft(data: IdeaInput, **owners) -> Idea:
    """A new draft holding `data`'s text; `owners` names its department and submitter."""
    return Idea(
        title=data.title.strip(),
        problem=(data.problem or "").strip(),
        proposal=(data.proposal or "").strip(),
        expected_benefit=(data.expected_benefit or "").strip(),
        status=IdeaStatus.DRAFT,
        **owners,
    )


def _campaign(author: User, data: IdeaInput) -> tuple[Campaign | None, dict | None]:
    """The campaign the idea goes into (refused unless it is open to the author) and the
    clean answers to its extra fields (refused when one breaks the campaign's rules)."""
    if not data.campaign_id:
        return None, None
    campaign = campaigns.accepting(data.campaign_id, author)
    answers, problems = campaign_rules.clean_answers(campaign.fields, data.answers or {})
    if problems:
        raise IdeaError(next(iter(problems.values())), 400, field="campaign")
    return campaign, answers


def _resolve(data: IdeaInput, draft: bool = False) -> tuple[Department, list[StrategicObjective]]:
    _check_fields(data, draft)
    department = db.session.get(Department, data.department_id)
    if department is None:
        raise IdeaError(NO_DEPARTMENT, 400, field="department")
    objectives = []
    if data.objective_ids:
        objectives = list(
            db.session.scalars(
                sa.select(StrategicObjective).where(
                    StrategicObjective.id.in_(data.objective_ids), StrategicObjective.active
                )
            )
        )
        if len(objectives) != len(set(data.objective_ids)):
            raise IdeaError(INACTIVE_OBJECTIVES, 400, field="objectives")
    return department, objectives


def create_idea(author: User, data: IdeaInput, *, submit: bool = False) -> Idea:
    """Save a new idea as a draft, and submit it straight away when asked (caller commits)."""
    department, objectives = _resolve(data, draft=not submit)
    campaign, answers = _campaign(author, data)
    idea = _draft(data, department=department, submitter=author, objectives=objectives)
    idea.campaign, idea.campaign_answers = campaign, answers
    db.session.add(idea)
    db.session.flush()
    db.session.add(Follow(idea_id=idea.id, user_id=author.id))
    record(author, "idea_created", idea, idea=idea, after={"title": idea.title})
    if submit:
        workflow.apply(idea, "submit", author)
    return idea


@dataclass
class NewIdea:
    """One idea of a bulk creation: who writes it, what it says, and since when (None: now)."""

    author: User
    data: IdeaInput
    written_at: datetime | None = None


def create_ideas(items: list[NewIdea], *, submit: bool = False) -> list[Idea]:
    """Create many ideas as `create_idea` creates one (same rules, follow and audit events;
    caller commits), with a few statements for the lot instead of several per idea.

    Submitting notifies nobody: a new idea's only follower is its submitter, who acted.
    """
    if not items:
        return []
    for item in items:
        _check_fields(item.data)
    wanted = {item.data.department_id for item in items}
    if wanted - set(db.session.scalars(sa.select(Department.id).where(Department.id.in_(wanted)))):
        raise IdeaError(NO_DEPARTMENT, 400, field="department")
    wanted = {oid for item in items for oid in item.data.objective_ids}
    active = sa.select(StrategicObjective.id).where(
        StrategicObjective.id.in_(wanted), StrategicObjective.active
    )
    if wanted and wanted - set(db.session.scalars(active)):
        raise IdeaError(INACTIVE_OBJECTIVES, 400, field="objectives")
    ideas = []
    for item in items:
        idea = _draft(item.data, department_id=item.data.department_id, submitter_id=item.author.id)
        if item.written_at is not None:
            idea.created_at = idea.submitted_at = item.written_at
        ideas.append(idea)
    db.session.add_all(ideas)
    db.session.flush()
    pairs = list(zip(ideas, items, strict=True))
    db.session.execute(
        sa.insert(Follow.__table__),
        [{"idea_id": idea.id, "user_id": item.author.id} for idea, item in pairs],
    )
    links = [
        {"idea_id": idea.id, "objective_id": oid}
        for idea, item in pairs
        for oid in dict.fromkeys(item.data.objective_ids)
    ]
    if links:
        db.session.execute(idea_objectives.insert(), links)
    created = [(item.author, idea.id, idea.id, {"title": idea.title}) for idea, item in pairs]
    record_many("idea_created", Idea.__tablename__, created)
    if submit:
        for idea, item in pairs:
            workflow.apply(idea, "submit", item.author, notify_people=False)
    return ideas


def update_draft(author: User, idea: Idea, data: IdeaInput, *, submit: bool = False) -> Idea:
    """Edit one's own draft (caller commits)."""
    if idea.submitter_id != author.id:
        raise IdeaError("Only the submitter may edit this idea.", 403)
    if idea.status != IdeaStatus.DRAFT:
        raise IdeaError("Only drafts can be edited; this idea has been submitted.", 409)
    department, objectives = _resolve(data, draft=not submit)
    campaign, answers = _campaign(author, data)
    idea.campaign, idea.campaign_answers = campaign, answers
    idea.title = data.title.strip()
    idea.problem = (data.problem or "").strip()
    idea.proposal = (data.proposal or "").strip()
    idea.expected_benefit = (data.expected_benefit or "").strip()
    idea.department = department
    idea.objectives = objectives
    if submit:
        workflow.apply(idea, "submit", author)
    return idea


def _refresh_vote_count(idea_id: int) -> None:
    count = sa.select(sa.func.count(Vote.id)).where(Vote.idea_id == idea_id).scalar_subquery()
    # Keep updated_at: a vote is not an edit of the idea.
    db.session.execute(
        sa.update(Idea)
        .where(Idea.id == idea_id)
        .values(vote_count=count, updated_at=Idea.updated_at)
    )


def toggle_vote(user: User, idea: Idea) -> bool:
    """Add the user's vote, or take it back; returns whether the user now votes (caller commits)."""
    return set_vote(user, idea, not has_voted(user, idea))


def set_vote(user: User, idea: Idea, vote: bool) -> bool:
    """Make the user vote for the idea or not (idempotent); returns `vote` (caller commits).

    The unique (idea, user) constraint settles a race between two clicks: the loser's
    insert fails inside a savepoint and finds the vote already there.
    """
    if idea.status in workflow.NO_VOTES:
        raise IdeaError(f"Votes are closed: the idea is {idea.status.label.lower()}.")
    idea_id = idea.id
    try:
        with db.session.begin_nested():
            if vote and not has_voted(user, idea):
                db.session.add(Vote(idea_id=idea_id, user_id=user.id))
            elif not vote:
                db.session.execute(
                    sa.delete(Vote).where(Vote.idea_id == idea_id, Vote.user_id == user.id)
                )
    except IntegrityError:
        pass  # a concurrent request already added this user's vote
    _refresh_vote_count(idea_id)
    return vote


def has_voted(user: User, idea: Idea) -> bool:
    return (
        db.session.scalar(
            sa.select(Vote.id).where(Vote.idea_id == idea.id, Vote.user_id == user.id)
        )
        is not None
    )


def is_following(user: User, idea: Idea) -> bool:
    return db.session.get(Follow, (idea.id, user.id)) is not None


def toggle_follow(user: User, idea: Idea) -> bool:
    """Follow or unfollow; returns whether the user now follows (caller commits)."""
    existing = db.session.get(Follow, (idea.id, user.id))
    following = existing is None
    try:
        with db.session.begin_nested():
            if existing is not None:
                db.session.delete(existing)
            else:
                db.session.add(Follow(idea_id=idea.id, user_id=user.id))
    except IntegrityError:
        following = True
    return following


def add_comment(
    author: User, idea: Idea, body: str, kind: CommentKind = CommentKind.COMMENT
) -> Comment:
    """Add a comment (caller commits)."""
    body = body.strip()
    if not body:
        raise IdeaError("A comment cannot be empty.", 400, field="body")
    if idea.status == IdeaStatus.DRAFT and author.id != idea.submitter_id:
        raise IdeaError("Drafts cannot be commented on.", 403)
    comment = Comment(idea=idea, author=author, body=body, kind=kind)
    db.session.add(comment)
    return comment


def transition(actor: User, idea: Idea, name: str, reason: str | None = None) -> None:
    """Make a workflow transition on behalf of a user (caller commits). Its effects (a
    question and its answer stay in the discussion) are the workflow's."""
    workflow.apply(idea, name, actor, reason)


@dataclass
class IdeaFilters:
    q: str = ""
    department_id: int | None = None
    status: IdeaStatus | None = None
    objective_id: int | None = None
    sort: str = "newest"


@dataclass(frozen=True, slots=True)
class Named:
    """A department, person or objective as a line of a list names it."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class IdeaRow:
    """One line of a list of ideas (the idea list, the review queue, the home page, the
    API's list): what the line shows, read as plain columns, with the names of an idea's
    department, submitter, holder and objectives where the ORM idea has those objects.
    Loading whole ideas and those objects cost more than the rest of the page."""

    id: int
    title: str
    status: IdeaStatus
    vote_count: int
    created_at: datetime
    submitted_at: datetime | None
    endorsed_at: datetime | None
    waited_since: datetime  # Idea.waited_since: the review queue's age and "overdue"
    department: Named
    submitter: Named
    assignee: Named | None  # None: nobody holds it
    objectives: tuple[Named, ...]  # by name

    @property
    def reference(self) -> str:
        return idea_reference(self.id)

    @property
    def assignee_id(self) -> int | None:
        return self.assignee.id if self.assignee else None


_ROW_DEPARTMENT = aliased(Department, name="row_department")
_ROW_SUBMITTER = aliased(User, name="row_submitter")
_ROW_ASSIGNEE = aliased(User, name="row_assignee")
_ROW_COLUMNS = (
    Idea.id,
    Idea.title,
    Idea.status,
    Idea.vote_count,
    Idea.created_at,
    Idea.submitted_at,
    Idea.endorsed_at,
    Idea.waited_since,
    Idea.department_id,
    _ROW_DEPARTMENT.name,
    Idea.submitter_id,
    _ROW_SUBMITTER.name,
    Idea.assignee_id,
    _ROW_ASSIGNEE.name,
)
_OBJECTIVES: dict[str, sa.ColumnElement] = {}


def _objectives() -> sa.ColumnElement:
    """A column of a list query: the idea's objectives in name order as a JSON array of
    [id, name] pairs (NULL or [] when it serves none), so the lines need no query of their
    own. Built once per database kind."""
    dialect = _dialect()
    if dialect not in _OBJECTIVES:
        io, so = idea_objectives, StrategicObjective.__table__
        served = (
            sa.select(so.c.id, so.c.name)
            .select_from(io.join(so, so.c.id == io.c.objective_id))
            .where(io.c.idea_id == Idea.id)
        )
        if dialect == "postgresql":
            pair = sa.func.json_build_array(so.c.id, so.c.name)
            pairs = served.with_only_columns(sa.func.json_agg(pair).aggregate_order_by(so.c.name))
        else:  # SQLite before 3.44 orders no aggregate; it keeps an ordered subquery's order
            ordered = served.order_by(so.c.name).correlate(Idea).subquery()
            pair = sa.func.json_array(ordered.c.id, ordered.c.name)
            pairs = sa.select(sa.func.json_group_array(pair))
        _OBJECTIVES[dialect] = sa.type_coerce(pairs.scalar_subquery(), sa.JSON)
    return _OBJECTIVES[dialect]


def _row_statement(query: sa.Select, *extra: sa.ColumnElement) -> sa.Select:
    """`query` reading the columns of an IdeaRow, then `extra`."""
    return (
        query.with_only_columns(*_ROW_COLUMNS, _objectives(), *extra)
        .join_from(Idea, _ROW_DEPARTMENT, _ROW_DEPARTMENT.id == Idea.department_id)
        .join_from(Idea, _ROW_SUBMITTER, _ROW_SUBMITTER.id == Idea.submitter_id)
        .outerjoin_from(Idea, _ROW_ASSIGNEE, _ROW_ASSIGNEE.id == Idea.assignee_id)
    )


def _idea_row(line) -> IdeaRow:
    return IdeaRow(
        *line[:8],
        Named(line[8], line[9]),
        Named(line[10], line[11]),
        Named(line[12], line[13]) if line[12] is not None else None,
        tuple(Named(*pair) for pair in line[14] or ()),
    )


def list_rows(query: sa.Select) -> list[IdeaRow]:
    """The ideas of `query` (a `select(Idea)`, filtered, sorted and limited) as IdeaRows, in
    its order, in one query."""
    return [_idea_row(line) for line in db.session.execute(_row_statement(query))]


def _count(query: sa.Select) -> sa.Select:
    """How many ideas `query` (a `select(Idea)`, filtered) finds."""
    return query.with_only_columns(sa.func.count(), maintain_column_froms=True).order_by(None)


class RowPage(Pagination):
    """A page of IdeaRows with Flask-SQLAlchemy's pagination (total, pages, links), for
    the list pages; `query` is a `select(Idea)`, filtered and sorted.

    The total comes with the rows, as a column the database works out once (an uncorrelated
    subquery): a page with rows costs one query. Only a page with none counts on its own.
    With `params`, `query` and `parts` are a `Search`'s statements (their values as
    parameters) and the page's statements are built once per `key` and kind of database
    (the lines' objectives column is written for each)."""

    def _statements(self) -> tuple[sa.Select, sa.Select]:
        """(the page's lines with the total, the total alone); built once per `key`."""
        key = self._query_args["key"]
        query, parts = self._query_args["query"], self._query_args["parts"]
        if key is not None:
            key = (_dialect(), *key)
            built = _PAGE_STATEMENTS.get(key)
            if built is not None and built[0] is query:  # the same shape's own query
                return built[1]
        counts = [_count(part).correlate(None).scalar_subquery() for part in parts or [query]]
        total = functools.reduce(operator.add, counts)
        if key is None:  # the values are in the statement
            ids = query.with_only_columns(Idea.id).limit(self.per_page).offset(self._query_offset)
        else:
            ids = query.with_only_columns(Idea.id).limit(_PAGE_LIMIT).offset(_PAGE_OFFSET)
        # The page's ideas are found by id first and their lines read for them alone: with
        # OFFSET on the lines' query, the skipped rows' columns (the objectives, the names)
        # were worked out too, only to be dropped.
        on_page = ids.subquery("on_page")
        page = query.join(on_page, on_page.c.id == Idea.id)
        statements = (_row_statement(page, total), sa.select(total))
        if key is not None:
            _PAGE_STATEMENTS[key] = (query, statements)
        return statements

    def _params(self) -> dict:
        params = self._query_args["params"]
        if params is None:
            return {}
        return params | {"page_limit": self.per_page, "page_offset": self._query_offset}

    def _query_items(self) -> list[IdeaRow]:
        lines = db.session.execute(self._statements()[0], self._params()).all()
        self._counted = lines[0][-1] if lines else None
        return [_idea_row(line) for line in lines]

    def _query_count(self) -> int:
        if self._counted is not None:
            return self._counted
        if self.page == 1:  # no rows on the first page: none at all
            return 0
        return db.session.scalar(self._statements()[1], self._params())


# A page's LIMIT and OFFSET, in the statement's text when it runs (portal.transactions).
_PAGE_LIMIT = sa.bindparam("page_limit", type_=sa.Integer, literal_execute=True)
_PAGE_OFFSET = sa.bindparam("page_offset", type_=sa.Integer, literal_execute=True)
# key -> (the query they were built from, its statements): a key that came with another
# query (a shape the key does not tell apart) builds anew rather than answer for it.
_PAGE_STATEMENTS: dict[tuple, tuple[sa.Select, tuple[sa.Select, sa.Select]]] = {}


def row_page(
    query: sa.Select,
    page: int,
    per_page: int,
    parts: list[sa.Select] | None = None,
    *,
    params: dict | None = None,
    key: tuple | None = None,
) -> RowPage:
    """Page `page` of `query`'s ideas as IdeaRows (past the last page: no rows). `parts`:
    disjoint queries whose counts add up to `query`'s, when they are cheaper to count
    (`search_parts`). `params` and `key`: see `RowPage` (`search_page` passes them)."""
    return RowPage(
        page=page,
        per_page=per_page,
        max_per_page=None,
        error_out=False,
        query=query,
        parts=parts,
        params=params,
        key=key,
    )


def search_page(viewer: User, filters: IdeaFilters, page: int, per_page: int) -> RowPage:
    """Page `page` of the ideas `viewer` may browse, filtered and sorted (the idea list)."""
    found = search(viewer, filters)
    return row_page(
        found.query,
        page,
        per_page,
        list(found.parts),
        params=found.params,
        key=("search", *found.shape),
    )


_VIEWER = sa.bindparam("viewer_id", type_=sa.Integer)
# The ideas a viewer may browse (`can_view`) as two disjoint conditions: every idea but the
# drafts, and their own drafts.
_VISIBLE = (
    Idea.status != IdeaStatus.DRAFT,
    sa.and_(Idea.status == IdeaStatus.DRAFT, Idea.submitter_id == _VIEWER),
)
_ORDERS = {
    "votes": (Idea.vote_count.desc(), Idea.id.desc()),
    "oldest": (Idea.created_at.asc(), Idea.id.asc()),
    "newest": (Idea.created_at.desc(), Idea.id.desc()),
}


@dataclass(frozen=True)
class Search:
    """A search's statements and the values they take. The statements are built once per
    shape (which filters are set, which order) with the values as parameters: building
    them anew on every request cost about as much as running them."""

    shape: tuple
    query: sa.Select  # select(Idea): what the viewer may browse, filtered and sorted
    parts: tuple[sa.Select, ...]  # the query as disjoint parts, cheaper to count
    params: dict


# The most words one search looks for (each is a condition of its own).
MAX_SEARCH_WORDS = 10


def search_words(text: str | None) -> list[str]:
    """The words of a search, as typed, each once (ignoring case), in their order; more than
    MAX_SEARCH_WORDS is refused (ValueError, with the sentence to show)."""
    words: dict[str, str] = {}
    for word in (text or "").split():
        words.setdefault(word.casefold(), word)
    if len(words) > MAX_SEARCH_WORDS:
        raise ValueError(
            f"Search for at most {MAX_SEARCH_WORDS} words; this search has {len(words)}."
        )
    return list(words.values())


def search(viewer: User, filters: IdeaFilters) -> Search:
    """The ideas `viewer` may browse, filtered and sorted, as a Search. Several words find
    the ideas whose title, problem or proposal has every one of them, in any order."""
    sort = filters.sort if filters.sort in _ORDERS else "newest"
    try:
        words = search_words(filters.q)
    except ValueError as exc:
        raise IdeaError(str(exc), 400, field="q") from None
    shape = (
        len(words),
        bool(filters.department_id),
        bool(filters.status),
        bool(filters.objective_id),
        sort,
    )
    params = {
        "viewer_id": viewer.id,
        "department_id": filters.department_id,
        "status": filters.status,
        "objective_id": filters.objective_id,
    }
    for n, word in enumerate(words):
        params[f"like_{n}"] = like_pattern(word)
    query, parts = _search_statements(shape)
    return Search(shape, query, parts, {k: v for k, v in params.items() if v is not None})


@functools.cache
def _search_statements(shape: tuple) -> tuple[sa.Select, tuple[sa.Select, ...]]:
    """The query and its parts of a search of this shape (`search`)."""
    query = _searched(sa.select(Idea).where(sa.or_(*_VISIBLE)), shape)
    return query, tuple(_searched(sa.select(Idea).where(part), shape) for part in _VISIBLE)


def search_query(viewer: User, filters: IdeaFilters) -> sa.Select:
    """The ideas `viewer` may browse, filtered and sorted, with the values in the statement
    (to build on; a page of them: `search_page`)."""
    found = search(viewer, filters)
    return found.query.params(found.params)


class _Contains(sa.sql.expression.ColumnElement):
    """`text` holds the LIKE `pattern` whatever the case: ILIKE on PostgreSQL (served by the
    pg_trgm indexes); plain LIKE on SQLite, which already ignores the case of ASCII letters
    and no others, as its lower() does, so `lower(text) LIKE lower(pattern)` (SQLAlchemy's
    ilike there) only cost a lowered copy of every text it read."""

    inherit_cache = True
    type = sa.Boolean()
    _traverse_internals = [
        ("text", InternalTraversal.dp_clauseelement),
        ("pattern", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, text, pattern) -> None:
        self.text, self.pattern = text, pattern


@compiles(_Contains)
def _contains_ignoring_case(element, compiler, **kw) -> str:
    return compiler.process(element.text.ilike(element.pattern, escape=LIKE_ESCAPE), **kw)


@compiles(_Contains, "sqlite")
def _contains_sqlite(element, compiler, **kw) -> str:
    return compiler.process(element.text.like(element.pattern, escape=LIKE_ESCAPE), **kw)


def _searched(query: sa.Select, shape: tuple) -> sa.Select:
    """`query` (a `select(Idea)`) with the filters of `shape` applied and sorted."""
    words, department, status, objective, sort = shape
    texts = (Idea.title, Idea.problem, Idea.proposal)
    for n in range(words):
        # Each word in one of the texts, whatever the case (`_Contains`). (Matching only
        # where a word starts, with a regular expression per row, cost the API's searches
        # 2-5 times their 100 ms goal at 100,000 ideas: bench/api.py.)
        like = sa.bindparam(f"like_{n}", type_=sa.String)
        query = query.where(sa.or_(*(_Contains(text, like) for text in texts)))
    if department:
        query = query.where(Idea.department_id == sa.bindparam("department_id"))
    if status:
        query = query.where(Idea.status == sa.bindparam("status"))
    if objective:
        objective_id = sa.bindparam("objective_id")
        query = query.where(Idea.objectives.any(StrategicObjective.id == objective_id))
    return query.order_by(*_ORDERS[sort])


# Counting every match of a broad filter costs a scan of all of them; past this many, a
# page says "at least COUNT_LIMIT" instead (see `page_of`).
COUNT_LIMIT = 10_000


@dataclass
class IdeaPage:
    items: list[IdeaRow]
    page: int
    per_page: int
    total: int  # matches, counted up to the count limit
    total_exact: bool  # False: there are more than `total`
    pages: int


def page_of(found: Search, page: int, per_page: int, *, count_limit: int | None = None) -> IdeaPage:
    """One page of a search as IdeaRows, cheap at any depth.

    The total is counted up to `count_limit` (default COUNT_LIMIT): an exact count of
    90,000 matches costs a scan of all of them on every page. Each of the search's disjoint
    parts is counted up to the limit. The page is found by id first and its lines read
    afterwards, so skipping deep into the list reads only narrow rows.
    """
    count_limit = count_limit or COUNT_LIMIT
    counted_statement, ids_statement = _page_of_statements(found.shape)
    counted = db.session.scalar(counted_statement, found.params | {"count_limit": count_limit + 1})
    offset = (page - 1) * per_page
    ids = []
    # Past the last match there is nothing to read. (Asking anyway can be slow: with no
    # match, "newest first, 20 rows" walks the whole created_at index looking for one.)
    if offset < counted or counted > count_limit:
        window = {"page_limit": per_page, "page_offset": offset}
        ids = list(db.session.scalars(ids_statement, found.params | window))
    by_id = {}
    if ids:
        lines = db.session.execute(_rows_by_id(_dialect()), {"ids": ids})
        by_id = {row.id: row for row in map(_idea_row, lines)}
    total = min(counted, count_limit)
    return IdeaPage(
        items=[by_id[i] for i in ids if i in by_id],
        page=page,
        per_page=per_page,
        total=total,
        total_exact=counted <= count_limit,
        pages=-(-total // per_page),
    )


@functools.cache
def _rows_by_id(dialect: str) -> sa.Select:
    """The lines of the ideas whose ids are `ids` (a parameter), on this kind of database."""
    return _row_statement(sa.select(Idea).where(Idea.id.in_(sa.bindparam("ids", expanding=True))))


def _dialect() -> str:
    return db.session.get_bind().dialect.name


@functools.cache
def _page_of_statements(shape: tuple) -> tuple[sa.Select, sa.Select]:
    """`page_of`'s statements for a search of this shape: the capped count, the page's ids."""
    query, parts = _search_statements(shape)
    cap = sa.bindparam("count_limit", type_=sa.Integer, literal_execute=True)
    counts = []
    for part in parts:
        matches = part.with_only_columns(Idea.id).order_by(None).limit(cap)
        counts.append(sa.select(sa.func.count()).select_from(matches.subquery()).scalar_subquery())
    ids = query.with_only_columns(Idea.id).limit(_PAGE_LIMIT).offset(_PAGE_OFFSET)
    return sa.select(functools.reduce(operator.add, counts)), ids


@dataclass
class IdeaOnPage:
    """An idea as its page reads it, with what the viewer does and what there is to show:
    asked with the idea, so a page without an estimate, links or a plan outcome (most of
    them) spends no query on each."""

    idea: Idea
    voted: bool  # whether the viewer votes for it
    following: bool  # whether the viewer follows it
    estimated: bool  # whether it has a current estimate
    linked: bool  # whether a link touches it
    planned: bool  # whether an adopted plan gave it an outcome
    objectives: tuple[Named, ...]  # the objectives it serves, by name


# The statements of the idea page are built once, with parameters: building one anew on
# every request cost about as much as running it.
_IDEA_FOR_PAGE: dict[str, sa.Select] = {}


def _idea_for_page() -> sa.Select:
    """The idea page's statement, built once per database kind. The objectives come as one
    column (`_objectives`), as a list's lines read them: joined to the idea as ORM objects,
    SQLite scanned every idea's objectives to find this one's (41 ms at 100,000 ideas)."""
    dialect = _dialect()
    if dialect not in _IDEA_FOR_PAGE:
        _IDEA_FOR_PAGE[dialect] = (
            sa.select(
                Idea,
                sa.exists().where(Vote.idea_id == Idea.id, Vote.user_id == sa.bindparam("viewer")),
                sa.exists().where(
                    Follow.idea_id == Idea.id, Follow.user_id == sa.bindparam("viewer")
                ),
                sa.exists().where(Estimate.idea_id == Idea.id, Estimate.is_current),
                sa.exists().where(
                    sa.or_(IdeaLink.source_id == Idea.id, IdeaLink.target_id == Idea.id)
                ),
                sa.exists().where(PlanOutcome.idea_id == Idea.id),
                _objectives(),
            )
            .where(Idea.id == sa.bindparam("idea_id"))
            .options(
                joinedload(Idea.department),
                # The page shows the submitter's and the holder's names, nothing else.
                joinedload(Idea.submitter).load_only(User.name),
                joinedload(Idea.assignee).load_only(User.name),
            )
        )
    return _IDEA_FOR_PAGE[dialect]


def idea_for_page(idea_id: int, viewer: User) -> IdeaOnPage | None:
    """The idea with its department, submitter, holder and objectives, whether `viewer`
    votes for and follows it and whether it has an estimate, links and a plan outcome, in
    one query (its discussion and history: `discussion_and_history`)."""
    found = db.session.execute(_idea_for_page(), {"idea_id": idea_id, "viewer": viewer.id})
    row = found.first()
    if row is None:
        return None
    *facts, objectives = row
    return IdeaOnPage(*facts, tuple(Named(*pair) for pair in objectives or ()))


@dataclass(frozen=True, slots=True)
class CommentLine:
    """One comment of an idea's discussion, as its page shows it."""

    author_name: str
    created_at: datetime
    kind: CommentKind
    body: str


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One recorded change of an idea, as its page shows it."""

    created_at: datetime
    actor_name: str | None  # None: the system
    action: str
    before: dict | None
    after: dict | None


# The idea page's discussion and history in one statement of plain rows (loading comments,
# events and people as ORM objects cost several times more; two statements, one more round
# trip): the comments (part 0) and the recorded changes (part 1), each oldest first, as
# rows of one shape: part, created_at, name, kind or action, body, before, after, id.
_COMMENTS = (
    sa.select(
        sa.literal_column("0").label("part"),
        Comment.created_at.label("created_at"),
        User.name,
        sa.type_coerce(Comment.kind, sa.String).label("what"),  # read as CommentKind below
        Comment.body,
        sa.type_coerce(sa.null(), AuditEvent.before.type).label("before"),
        sa.type_coerce(sa.null(), AuditEvent.after.type).label("after"),
        Comment.id.label("id"),
    )
    .join(User, User.id == Comment.author_id)
    .where(Comment.idea_id == sa.bindparam("idea_id"))
)
_CHANGES = (
    sa.select(
        sa.literal_column("1"),
        AuditEvent.created_at,
        User.name,
        AuditEvent.action,
        sa.null(),
        AuditEvent.before,
        AuditEvent.after,
        AuditEvent.id,
    )
    .outerjoin(User, User.id == AuditEvent.actor_id)
    .where(AuditEvent.idea_id == sa.bindparam("idea_id"))
)
_DISCUSSION_AND_HISTORY = sa.union_all(_COMMENTS, _CHANGES).order_by(
    *(sa.literal_column(name) for name in ("part", "created_at", "id"))
)


def discussion_and_history(idea: Idea) -> tuple[list[CommentLine], list[HistoryLine]]:
    """The idea's comments, oldest first, with their authors' names, and every recorded
    change of it, oldest first, with who made it: one query."""
    comments, changes = [], []
    for part, created_at, name, what, body, before, after, _ in db.session.execute(
        _DISCUSSION_AND_HISTORY, {"idea_id": idea.id}
    ):
        if part == 0:
            comments.append(CommentLine(name, created_at, CommentKind(what), body))
        else:
            changes.append(HistoryLine(created_at, name, what, before, after))
    return comments, changes


def my_ideas(user: User) -> list[Idea]:
    return list(
        db.session.scalars(
            sa.select(Idea).where(Idea.submitter_id == user.id).order_by(Idea.updated_at.desc())
        )
    )


def may_endorse(user: User, idea: Idea) -> bool:
    """Whether `user` leads the idea's department and the idea may be endorsed now."""
    return user.leads(idea.department_id) and idea.status in workflow.ENDORSABLE


def set_endorsement(leader: User, idea: Idea, endorse: bool) -> None:
    """Endorse the idea as its department's leader, or take the endorsement back (idempotent;
    the caller commits). The submitter and followers hear of a new endorsement."""
    if not leader.leads(idea.department_id):
        raise IdeaError("Only the leader of the idea's department may endorse it.", 403)
    if idea.status not in workflow.ENDORSABLE:
        raise IdeaError(
            f"Only open ideas can be endorsed; this one is {idea.status.label.lower()}.", 409
        )
    if endorse == (idea.endorsed_at is not None):
        return
    idea.endorsed_at = utcnow() if endorse else None
    idea.endorsed_by_id = leader.id if endorse else None
    record(leader, "endorsed" if endorse else "endorsement_withdrawn", idea, idea=idea)
    if endorse:
        notify(
            idea_audience(idea, exclude=leader),
            f"{idea.reference} “{idea.title}” was endorsed by {leader.name}, "
            f"leader of {idea.department.name}.",
            idea=idea,
        )
