"""The demo data set: every state, working logins, current estimates, seeded only once."""

import sqlalchemy as sa

from portal.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from portal.extensions import db
from portal.models import Estimate, Idea, IdeaLink, IdeaStatus, LinkKind, Role, User

S = IdeaStatus
ESTIMATED_OR_LATER = {
    S.ESTIMATED, S.APPROVED, S.SELECTED, S.IN_DELIVERY, S.DELIVERED, S.DEFERRED
}  # fmt: skip


def test_demo_data_is_complete_and_coherent(app):
    summary = load_demo()

    ideas = db.session.scalars(sa.select(Idea)).all()
    assert summary["ideas"] == len(ideas) >= 60
    assert {i.status for i in ideas} == set(IdeaStatus)
    for idea in ideas:
        if idea.status in ESTIMATED_OR_LATER:
            current = db.session.scalars(
                sa.select(Estimate).where(Estimate.idea_id == idea.id, Estimate.is_current)
            ).all()
            assert len(current) == 1, idea.title
            assert current[0].costs and current[0].impacts and current[0].efforts
        if idea.status == S.DUPLICATE:
            assert idea.merged_into is not None
            assert db.session.scalar(
                sa.select(IdeaLink).where(
                    IdeaLink.source_id == idea.id,
                    IdeaLink.target_id == idea.merged_into_id,
                    IdeaLink.kind == LinkKind.DUPLICATE_OF,
                )
            )

    for email, role, _ in DEMO_LOGINS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert user.role == Role(role)
        assert user.check_password(DEMO_PASSWORD)


def test_seed_demo_refuses_a_database_with_data(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded" in first.output

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code != 0
    assert "not empty" in second.output
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == first_count(first.output)


def first_count(output: str) -> int:
    """The idea count the first run reported ("... 62 ideas, ...")."""
    words = output.replace(",", " ").split()
    return int(words[words.index("ideas") - 1])
