"""The state machine: who may make which transition from which state, and its effects."""

import pytest
import sqlalchemy as sa

from portal import workflow
from portal.extensions import db
from portal.models import AuditEvent, IdeaStatus, Notification, Role

S = IdeaStatus


@pytest.fixture
def actors(employee, brm, pm, make_user, make_department):
    elsewhere = make_department("Elsewhere")
    return {
        "submitter": employee,
        "brm": brm,
        "pm": pm,
        "other_employee": make_user(),
        "other_brm": make_user(Role.BRM, covers=[elsewhere]),
        "admin": make_user(Role.ADMIN),
    }


# (transition, from state, actor, allowed)
CASES = [
    ("submit", S.DRAFT, "submitter", True),
    ("submit", S.DRAFT, "brm", False),
    ("submit", S.DRAFT, "admin", False),
    ("withdraw", S.IN_REVIEW, "submitter", True),
    ("withdraw", S.DEFERRED, "submitter", True),
    ("withdraw", S.APPROVED, "submitter", True),
    ("withdraw", S.IN_REVIEW, "other_employee", False),
    ("withdraw", S.IN_REVIEW, "pm", False),
    ("start_review", S.SUBMITTED, "brm", True),
    ("start_review", S.SUBMITTED, "pm", True),
    ("start_review", S.SUBMITTED, "other_brm", False),
    ("start_review", S.SUBMITTED, "submitter", False),
    ("start_review", S.SUBMITTED, "admin", False),
    ("approve", S.ESTIMATED, "brm", True),
    ("approve", S.ESTIMATED, "other_brm", False),
    ("select", S.APPROVED, "pm", True),
    ("select", S.APPROVED, "brm", False),
    ("deliver", S.IN_DELIVERY, "brm", True),
    ("deliver", S.IN_DELIVERY, "submitter", False),
]


@pytest.mark.parametrize(("name", "state", "who", "allowed"), CASES)
def test_who_may(actors, make_idea, name, state, who, allowed):
    idea = make_idea(actors["submitter"], status=state)
    if allowed:
        workflow.apply(idea, name, actors[who])
        assert idea.status == workflow.TRANSITIONS[name].target
    else:
        with pytest.raises(workflow.TransitionForbidden):
            workflow.apply(idea, name, actors[who])
        assert idea.status == state


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("submit", S.SUBMITTED),
        ("withdraw", S.REJECTED),
        ("withdraw", S.DELIVERED),
        ("withdraw", S.WITHDRAWN),
        ("withdraw", S.DRAFT),
        ("approve", S.SUBMITTED),
        ("select", S.SUBMITTED),
        ("deliver", S.SELECTED),
    ],
)
def test_refused_from_wrong_state(actors, make_idea, name, state):
    idea = make_idea(actors["submitter"], status=state)
    actor = actors["pm"] if name not in ("submit", "withdraw") else actors["submitter"]
    with pytest.raises(workflow.TransitionError, match="not possible"):
        workflow.apply(idea, name, actor)
    assert idea.status == state


def test_reason_required(actors, make_idea):
    idea = make_idea(actors["submitter"], status=S.IN_REVIEW)
    with pytest.raises(workflow.TransitionError, match="Give the reason for rejecting") as info:
        workflow.apply(idea, "reject", actors["brm"], "   ")
    assert (info.value.status_code, info.value.field) == (400, "reason")
    assert idea.status == S.IN_REVIEW


def test_apply_audits_and_notifies(actors, make_idea):
    idea = make_idea(actors["submitter"], status=S.IN_REVIEW)
    workflow.apply(idea, "reject", actors["brm"], "Already covered by the ERP upgrade")
    db.session.commit()
    assert idea.status_reason == "Already covered by the ERP upgrade"
    assert idea.decided_at is not None
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.idea_id == idea.id)).one()
    assert event.before == {"status": "in_review"}
    assert event.after["status"] == "rejected"
    assert event.actor_id == actors["brm"].id
    note = db.session.scalars(sa.select(Notification)).one()
    assert note.user_id == actors["submitter"].id
    assert "Already covered by the ERP upgrade" in note.message


def test_available_lists_only_allowed(actors, make_idea):
    idea = make_idea(actors["submitter"], status=S.SUBMITTED)
    names = {t.name for t in workflow.available(idea, actors["brm"])}
    assert {"start_review", "ask_info", "reject", "mark_duplicate"} <= names
    assert "withdraw" not in names
    assert {t.name for t in workflow.available(idea, actors["submitter"])} == {"withdraw"}
    assert workflow.available(idea, actors["other_brm"]) == []


def test_every_state_is_reachable():
    reachable = {S.DRAFT}
    changed = True
    while changed:
        changed = False
        for t in workflow.TRANSITIONS.values():
            if reachable & t.sources and t.target not in reachable:
                reachable.add(t.target)
                changed = True
    assert reachable == set(IdeaStatus)


def test_status_only_assigned_in_workflow():
    """No module but portal/workflow.py assigns Idea.status (DESIGN.md section 3)."""
    import pathlib
    import re

    root = pathlib.Path(workflow.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "workflow.py"
        and str(path.relative_to(root)) not in STORY_ONLY
        and re.search(r"\.status\s*=\s*(IdeaStatus|S)\.", path.read_text())
    ]
    assert offenders == []


def test_an_answer_is_not_shown_as_the_reason(actors, make_idea):
    idea = make_idea(actors["submitter"], status=S.SUBMITTED)
    workflow.apply(idea, "ask_info", actors["brm"], "Which reporting tools?")
    assert idea.status_reason == "Which reporting tools?"
    workflow.apply(idea, "answer", actors["submitter"], "Cognos and Tableau")
    assert idea.status == S.IN_REVIEW and idea.status_reason is None


def _declared_state_groups(path) -> list[int]:
    """Lines of `path` holding a set, tuple or list of IdeaStatus members, or one built by
    iterating over IdeaStatus."""
    import ast

    def is_state(node) -> bool:
        return (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("IdeaStatus", "S")
            and node.attr.isupper()
        )

    def lists_states(node) -> bool:
        if isinstance(node, ast.Set | ast.List | ast.Tuple):
            return any(map(is_state, node.elts))
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            # A filtered walk over every state is a group too (`s for s in IdeaStatus if ...`).
            return any(
                isinstance(g.iter, ast.Name) and g.iter.id == "IdeaStatus" and g.ifs
                for g in node.generators
            )
        return False

    lines = [node.lineno for node in ast.walk(ast.parse(path.read_text())) if lists_states(node)]
    return lines


# The demo's timeline picks states to tell its story (which planning round an idea was
# selected in, which ideas carry a question); those choices are not rules of the portal.
STORY_ONLY = {"demo/history.py"}


def test_state_groups_are_declared_only_in_the_workflow():
    """No module but portal/workflow.py declares a group of states; the others ask it."""
    import pathlib

    root = pathlib.Path(workflow.__file__).parent
    offenders = {
        f"{path.relative_to(root)}:{line}"
        for path in root.rglob("*.py")
        if path.name != "workflow.py" and str(path.relative_to(root)) not in STORY_ONLY
        for line in _declared_state_groups(path)
    }
    assert sorted(offenders) == []


def test_templates_declare_no_state_groups():
    """Templates ask the workflow (`workflow.UNDER_REVIEW`) instead of listing states."""
    import pathlib
    import re

    templates = pathlib.Path(workflow.__file__).parent.parent / "templates"
    group = re.compile(r"[(\[{]\s*IdeaStatus\.\w+\s*,")
    offenders = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if group.search(path.read_text())
    ]
    assert offenders == []


def test_state_groups_keep_their_meaning():
    """The groups other modules used to declare themselves, as they were."""
    assert {S.SUBMITTED, S.IN_REVIEW, S.NEEDS_INFO, S.ESTIMATED} == workflow.UNDER_REVIEW
    assert {S.APPROVED, S.REJECTED, S.DUPLICATE, S.DEFERRED} == workflow.DECIDED
    assert {S.REJECTED, S.DUPLICATE, S.WITHDRAWN, S.DELIVERED} == workflow.CLOSED
    assert {S.DRAFT, S.DUPLICATE, S.WITHDRAWN, S.REJECTED} == workflow.NOT_MERGEABLE_INTO
    assert workflow.COMMITTED == (S.SELECTED, S.IN_DELIVERY, S.DELIVERED)
    assert workflow.SCENARIO_CANDIDATES == (S.APPROVED, S.DEFERRED, S.SELECTED)
    assert workflow.DEFAULT_SCENARIO_CANDIDATES == (S.APPROVED, S.DEFERRED, S.SELECTED)
    assert S.DRAFT not in workflow.SUBMITTED_ONCE and len(workflow.SUBMITTED_ONCE) == 12
    assert [label for label, _ in workflow.SUBMITTER_SUMMARY] == [
        "Drafts",
        "Under review",
        "Approved or planned",
        "Delivered",
    ]


def test_a_question_and_its_answer_stay_in_the_discussion(actors, make_idea):
    """The effect is the transition's: any caller of `apply` gets it."""
    from portal.models import Comment, CommentKind

    idea = make_idea(actors["submitter"], status=S.IN_REVIEW)
    workflow.apply(idea, "ask_info", actors["brm"], "Which reporting tools?")
    workflow.apply(idea, "answer", actors["submitter"], "Cognos and Tableau")
    db.session.flush()
    comments = db.session.execute(
        sa.select(Comment.kind, Comment.author_id, Comment.body)
        .where(Comment.idea_id == idea.id)
        .order_by(Comment.id)
    ).all()
    assert comments == [
        (CommentKind.QUESTION, actors["brm"].id, "Which reporting tools?"),
        (CommentKind.ANSWER, actors["submitter"].id, "Cognos and Tableau"),
    ]


def test_transitions_carry_their_prompts():
    t = workflow.TRANSITIONS
    assert t["ask_info"].prompt == "your question to the submitter"
    assert t["answer"].prompt == "your answer"
    assert t["reject"].prompt == "reason (the submitter reads it)"
    assert t["defer"].prompt == "reason"
    assert t["withdraw"].confirm == "Withdraw this idea?"


def test_idea_changed_is_a_signal(actors, make_idea):
    seen = []

    def listen(idea, **kw):
        seen.append((idea.id, kw["transition"].name, kw["actor"].id, kw["reason"]))

    idea = make_idea(actors["submitter"], status=S.IN_REVIEW)
    with workflow.idea_changed.connected_to(listen):
        workflow.apply(idea, "reject", actors["brm"], "Out of scope")
        workflow.apply(
            make_idea(actors["submitter"], status=S.DRAFT),
            "submit",
            actors["submitter"],
            notify_people=False,
        )
    assert seen == [(idea.id, "reject", actors["brm"].id, "Out of scope")]
