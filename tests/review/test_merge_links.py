"""Merging duplicates (votes, voters once, comments, followers, links, people told) and links."""

import sqlalchemy as sa

from portal.extensions import db
from portal.models import (
    Comment,
    Follow,
    Idea,
    IdeaLink,
    IdeaStatus,
    LinkKind,
    Notification,
    Vote,
)

S = IdeaStatus


def _vote(idea, *users):
    for user in users:
        db.session.add(Vote(idea_id=idea.id, user_id=user.id))
    db.session.flush()
    idea.vote_count = len(users) + (idea.vote_count or 0)
    db.session.commit()


def test_merge_moves_votes_once_comments_and_followers(
    brm_client, brm, employee, make_user, make_idea
):
    a, b, c, d = (make_user() for _ in range(4))
    survivor = make_idea(a, status=S.IN_REVIEW)
    duplicate = make_idea(employee, status=S.SUBMITTED)
    _vote(survivor, b, c)
    _vote(duplicate, c, d, a)  # c voted on both; a is the survivor's submitter
    db.session.add(Comment(idea_id=duplicate.id, author_id=d.id, body="Same problem here."))
    db.session.add_all(
        [
            Follow(idea_id=duplicate.id, user_id=d.id),
            Follow(idea_id=duplicate.id, user_id=b.id),
            Follow(idea_id=survivor.id, user_id=b.id),
        ]
    )
    db.session.commit()

    response = brm_client.post(
        f"/review/ideas/{duplicate.id}/merge",
        data={"target": survivor.reference, "note": "same need"},
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/ideas/{survivor.id}")
    db.session.rollback()  # see what other connections committed
    survivor = db.session.get(Idea, survivor.id)
    duplicate = db.session.get(Idea, duplicate.id)

    assert duplicate.status == S.DUPLICATE and duplicate.merged_into_id == survivor.id
    voters = db.session.scalars(sa.select(Vote.user_id).where(Vote.idea_id == survivor.id)).all()
    assert sorted(voters) == sorted([a.id, b.id, c.id, d.id])  # c counted once
    assert survivor.vote_count == 4 and duplicate.vote_count == 0
    bodies = db.session.scalars(sa.select(Comment.body).where(Comment.idea_id == survivor.id)).all()
    assert "Same problem here." in bodies
    assert not db.session.scalars(sa.select(Comment).where(Comment.idea_id == duplicate.id)).all()
    followers = set(
        db.session.scalars(sa.select(Follow.user_id).where(Follow.idea_id == survivor.id))
    )
    assert {employee.id, d.id, b.id} <= followers
    link = db.session.scalar(sa.select(IdeaLink).where(IdeaLink.source_id == duplicate.id))
    assert link.kind == LinkKind.DUPLICATE_OF and link.target_id == survivor.id

    # both pages show the link; everyone involved is told
    page = " ".join(brm_client.get(f"/ideas/{duplicate.id}").text.split())
    assert f'This idea <strong>is a duplicate of</strong> <a href="/ideas/{survivor.id}">' in page
    page = " ".join(brm_client.get(f"/ideas/{survivor.id}").text.split())
    assert f'This idea <strong>is duplicated by</strong> <a href="/ideas/{duplicate.id}">' in page
    told = set(
        db.session.scalars(
            sa.select(Notification.user_id).where(Notification.message.contains("was merged into"))
        )
    )
    assert {employee.id, a.id, b.id, d.id} <= told
    assert brm.id not in told


def test_merge_refusals(brm_client, other_brm, client_for, employee, make_idea):
    idea = make_idea(employee)
    gone = make_idea(employee, status=S.WITHDRAWN)
    turned_down = make_idea(employee, status=S.REJECTED)
    cases = [
        ({"target": idea.reference}, 400, "cannot be a duplicate of itself"),
        ({"target": "IDEA-99999"}, 400, "There is no idea"),
        ({"target": "banana"}, 400, "There is no idea"),
        ({"target": ""}, 400, "Say which idea it duplicates"),
        ({"target": gone.reference}, 400, "is withdrawn"),
        ({"target": turned_down.reference}, 400, "is rejected"),
    ]
    for data, code, message in cases:
        response = brm_client.post(f"/review/ideas/{idea.id}/merge", data=data)
        assert response.status_code == code, data
        assert message in response.get_data(as_text=True)
    survivor = make_idea(employee)
    assert (
        client_for(other_brm)
        .post(f"/review/ideas/{idea.id}/merge", data={"target": survivor.reference})
        .status_code
        == 403
    )
    approved = make_idea(employee, status=S.APPROVED)
    response = brm_client.post(
        f"/review/ideas/{approved.id}/merge", data={"target": survivor.reference}
    )
    assert response.status_code == 409
    db.session.rollback()  # see what other connections committed
    assert db.session.get(Idea, idea.id).status == S.SUBMITTED
    assert db.session.get(Idea, approved.id).merged_into_id is None


def test_merge_into_a_duplicate_points_to_its_survivor(brm_client, employee, make_idea):
    root = make_idea(employee)
    dup = make_idea(employee, status=S.DUPLICATE, merged_into=root)
    idea = make_idea(employee)
    response = brm_client.post(f"/review/ideas/{idea.id}/merge", data={"target": str(dup.id)})
    assert response.status_code == 400
    assert f"Merge into IDEA-{root.id} instead" in response.get_data(as_text=True)


def test_links_across_departments(brm_client, employee, make_user, other_department, make_idea):
    ours = make_idea(employee, status=S.IN_REVIEW)
    theirs = make_idea(make_user(dept=other_department), status=S.IN_REVIEW)
    for kind in ("related", "requires"):
        response = brm_client.post(
            f"/review/ideas/{ours.id}/links", data={"kind": kind, "target": theirs.reference}
        )
        assert response.status_code == 302
    links = db.session.scalars(sa.select(IdeaLink).where(IdeaLink.source_id == ours.id)).all()
    assert {lk.kind for lk in links} == {LinkKind.RELATED, LinkKind.REQUIRES}
    page = brm_client.get(f"/ideas/{theirs.id}").get_data(as_text=True)
    assert "is required by" in page

    # contradiction, duplicate link, self link, bad kind
    cases = [
        ({"kind": "excludes", "target": theirs.reference}, 409, "contradicts"),
        ({"kind": "related", "target": theirs.reference}, 409, "already linked"),
        ({"kind": "related", "target": ours.reference}, 400, "cannot be linked to itself"),
        ({"kind": "duplicate_of", "target": theirs.reference}, 400, "Not a valid choice"),
    ]
    for data, code, message in cases:
        response = brm_client.post(f"/review/ideas/{ours.id}/links", data=data)
        assert response.status_code == code, data
        assert message in response.get_data(as_text=True)
    # symmetric: the other side cannot add "related" again from its end either
    response = brm_client.post(
        f"/review/ideas/{theirs.id}/links", data={"kind": "related", "target": ours.reference}
    )
    assert response.status_code == 403  # brm does not cover Logistics

    link = next(lk for lk in links if lk.kind == LinkKind.RELATED)
    assert brm_client.post(f"/review/links/{link.id}/delete").status_code == 302
    assert db.session.get(IdeaLink, link.id) is None


def test_a_draft_target_is_refused_like_a_missing_idea(brm_client, employee, make_idea):
    """The refusal must not tell a reviewer that someone's unsubmitted draft exists."""
    ours = make_idea(employee, status=S.IN_REVIEW)
    draft = make_idea(employee, status=S.DRAFT)
    answers = []
    for target in (draft.reference, "IDEA-99999"):
        response = brm_client.post(
            f"/review/ideas/{ours.id}/links", data={"kind": "related", "target": target}
        )
        body = response.get_data(as_text=True)
        answers.append((response.status_code, "There is no idea with that reference." in body))
        assert "Drafts" not in body
    assert answers == [(400, True), (400, True)]


def test_my_ideas_report_says_what_a_duplicate_became_without_nested_quotes(
    brm_client, client_for, employee, make_idea
):
    survivor = make_idea(employee, status=S.IN_REVIEW, title="Faster invoice matching")
    duplicate = make_idea(employee, status=S.SUBMITTED)
    brm_client.post(f"/review/ideas/{duplicate.id}/merge", data={"target": survivor.reference})
    page = " ".join(client_for(employee).get("/reports/me").text.split())
    reason = f"{survivor.reference} “Faster invoice matching”"
    assert f"Now part of <span data-status-reason>{reason}</span>" in page
    assert "“" + survivor.reference not in page  # no quotes around the quoted title
