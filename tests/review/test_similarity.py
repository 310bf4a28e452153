"""Similar ideas: a reworded duplicate ranks first; the index follows new ideas and states."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import similarity
from portal.extensions import db
from portal.models import Idea, IdeaStatus, utcnow

S = IdeaStatus

CORPUS = [
    (
        "Automate three-way invoice matching",
        "Accounts payable matches supplier invoices against purchase orders and goods receipts "
        "by hand; many invoices are paid late.",
        "Switch on the ERP matching engine with tolerance rules so clean invoices post "
        "automatically.",
        "Two FTE freed and fewer late-payment fees.",
    ),
    (
        "Rolling cash-flow forecast dashboard",
        "Treasury rebuilds the cash forecast every Monday in a spreadsheet from manual extracts.",
        "Load bank balances nightly into the data platform and publish a rolling forecast.",
        "Treasury saves a day a week.",
    ),
    (
        "Route planning for delivery vans",
        "Dispatchers plan van routes by hand each morning; trucks drive empty kilometres.",
        "Buy a route optimisation service fed by the order system.",
        "Less fuel, more stops.",
    ),
    (
        "Self-service password reset",
        "The service desk resets hundreds of passwords a week over the phone.",
        "Let employees reset their own password after a second-factor check.",
        "Fewer tickets and no waiting for staff.",
    ),
    (
        "Warehouse barcode scanning",
        "Pickers write stock movements on paper and clerks type them in later.",
        "Give pickers handheld barcode scanners connected to the warehouse system.",
        "Accurate stock levels in real time.",
    ),
]
REWORDED = (
    "Match supplier invoices to purchase orders automatically",
    "Our payables clerks compare every supplier invoice with the purchase order and the goods "
    "receipt manually, so payments slip past their due date.",
    "Use the matching engine in the ERP, with tolerances, to post invoices that match.",
    "Saves clerical effort and late fees.",
)


def _plant(make_idea, submitter, fields, status=S.SUBMITTED):
    title, problem, proposal, benefit = fields
    return make_idea(
        submitter,
        status=status,
        title=title,
        problem=problem,
        proposal=proposal,
        expected_benefit=benefit,
    )


def test_reworded_duplicate_ranks_first(app, employee, make_idea):
    ideas = [_plant(make_idea, employee, f) for f in CORPUS]
    found = similarity.similar_to_text(similarity.idea_text(*REWORDED))
    assert found[0].idea.id == ideas[0].id
    assert found[0].score > 2 * (found[1].score if len(found) > 1 else 0.01)


def test_reworded_duplicate_in_demo_data_ranks_first(app):
    from portal.demo import load_demo
    from portal.ideas.service import IdeaInput, create_idea
    from portal.models import Role, User

    load_demo()
    original = db.session.scalar(
        sa.select(Idea).where(Idea.title == "Automate three-way invoice matching")
    )
    author = db.session.scalar(
        sa.select(User).where(User.role == Role.EMPLOYEE, User.id != original.submitter_id)
    )
    title, problem, proposal, benefit = REWORDED
    planted = create_idea(
        author,
        IdeaInput(title, problem, proposal, benefit, author.department_id, []),
        submit=True,
    )
    db.session.commit()
    found = similarity.similar_to_idea(planted)
    assert found[0].idea.id == original.id
    assert planted.id in [s.idea.id for s in similarity.similar_to_idea(original)]


def test_index_follows_new_ideas_and_hides_drafts_and_duplicates(app, employee, make_idea):
    first = _plant(make_idea, employee, CORPUS[2])
    assert [s.idea.id for s in similarity.similar_to_text("van routes dispatch")] == [first.id]
    index = similarity.get_index()
    refits = index.refits
    second = _plant(make_idea, employee, CORPUS[3])
    assert second.id in [s.idea.id for s in similarity.similar_to_text("reset password desk")]
    assert index.refits == refits or len(index.ids) == 2  # appended (or refitted when tiny)
    draft = _plant(make_idea, employee, CORPUS[4], status=S.DRAFT)
    assert draft.id not in [s.idea.id for s in similarity.similar_to_text("barcode scanners")]
    first.status = S.DUPLICATE  # fixture shortcut: the merge is tested elsewhere
    db.session.commit()
    assert similarity.similar_to_text("van routes dispatch") == []


def test_similar_ideas_on_the_idea_page_and_while_writing(
    brm_client, employee_client, employee, make_idea
):
    ideas = [_plant(make_idea, employee, f) for f in CORPUS]
    planted = _plant(make_idea, employee, REWORDED)
    page = brm_client.get(f"/ideas/{planted.id}").get_data(as_text=True)
    first_similar = page.index("data-similar-id=")
    assert page[first_similar:].startswith(f'data-similar-id="{ideas[0].id}"')
    assert f'data-similar-id="{planted.id}"' not in page
    response = employee_client.get(
        "/review/similar", query_string={"text": "invoices matched to purchase orders by hand"}
    )
    assert response.status_code == 200
    top_two = {i["reference"] for i in response.json["ideas"][:2]}
    assert top_two == {ideas[0].reference, planted.reference}
    assert employee_client.get("/review/similar?text=").json == {"ideas": []}
    assert (
        employee_client.get("/review/similar", query_string={"text": "x" * 20001}).status_code
        == 400
    )
    form = employee_client.get("/ideas/new").get_data(as_text=True)
    assert 'id="similar-box"' in form


def test_similar_lookup_before_any_idea_exists(employee_client):
    """The first idea's form asks for similar ideas when there are none: an empty answer."""
    response = employee_client.get("/review/similar", query_string={"text": "invoices by hand"})
    assert response.status_code == 200
    assert response.json == {"ideas": []}


def test_a_text_is_read_with_the_newest_fit(app, employee, make_idea):
    """After a refit brings new words in, the same text is read with the new vocabulary."""
    _plant(make_idea, employee, CORPUS[0])
    text = "barcode scanners for pickers"
    assert similarity.similar_to_text(text) == []  # no idea mentions them: no such words yet
    assert similarity.similar_to_text(text) == []
    scanning = _plant(make_idea, employee, CORPUS[4])  # one new idea in two: a refit
    assert [s.idea.id for s in similarity.similar_to_text(text)] == [scanning.id]


def test_a_process_looks_for_new_ideas_at_most_every_recheck_seconds(app, employee, make_idea):
    """Outside tests a process looks for newly submitted ideas every few seconds, not before
    every lookup; a new idea shows up once the index looks again."""
    first = _plant(make_idea, employee, CORPUS[2])
    index = similarity.get_index()
    index.recheck = 60.0
    assert [s.idea.id for s in similarity.similar_to_text("van routes dispatch")] == [first.id]
    similarity.similar_to_text("van routes")  # a look: nothing new
    second = _plant(make_idea, employee, CORPUS[3])
    found = similarity.similar_to_text("reset password service desk")
    assert second.id not in [s.idea.id for s in found]  # the index looked a moment ago
    index.checked_at -= 61  # a minute later
    found = similarity.similar_to_text("reset password service desk")
    assert [s.idea.id for s in found][:1] == [second.id]


def _indexed_ten(make_idea, employee) -> similarity.SimilarityIndex:
    """An index fitted over ten ideas, so that one more is appended, not refitted."""
    for fields in CORPUS * 2:
        _plant(make_idea, employee, fields)
    similarity.similar_to_text("invoices")
    index = similarity.get_index()
    assert index.fitted_rows == 10
    return index


def test_a_submission_that_commits_after_a_later_stamped_one_is_found(app, employee, make_idea):
    """Submissions are stamped before they commit: one stamped a minute before the newest
    idea the index holds, committed after it, is still appended at the next look."""
    index = _indexed_ten(make_idea, employee)
    refits = index.refits
    late = _plant(make_idea, employee, REWORDED)
    late.submitted_at = index.newest - timedelta(minutes=1)
    db.session.commit()
    found = similarity.similar_to_text(similarity.idea_text(*REWORDED))
    assert late.id in [s.idea.id for s in found]
    assert index.refits == refits  # appended, not found by a refit
    assert index.ids.tolist().count(late.id) == 1
    similarity.similar_to_text("invoices")  # looking again adds nothing twice
    assert index.ids.tolist().count(late.id) == 1


def test_an_imported_idea_with_an_old_submission_time_is_found(app, employee, make_idea):
    """An import keeps an idea's original submission time, long before the index's newest;
    its new id is what tells the index it arrived."""
    index = _indexed_ten(make_idea, employee)
    refits = index.refits
    imported = _plant(make_idea, employee, REWORDED)
    imported.submitted_at = utcnow() - timedelta(days=700)
    db.session.commit()
    found = similarity.similar_to_text(similarity.idea_text(*REWORDED))
    assert imported.id in [s.idea.id for s in found]
    assert index.refits == refits


def test_testing_apps_look_for_new_ideas_before_every_lookup(app):
    assert app.config["SIMILARITY_RECHECK_SECONDS"] == 0
    assert similarity.get_index().recheck == 0


def test_query_terms_weigh_a_text_as_the_vectorizer_does(app, employee, make_idea):
    for fields in CORPUS:
        _plant(make_idea, employee, fields)
    similarity.similar_to_text("invoices")  # fits the index
    index = similarity.get_index()
    texts = [similarity.idea_text(*f) for f in [*CORPUS, REWORDED]]
    for text in [*texts, "Vans, vans and more VANS!", "zzz nothing known", ""]:
        expected = index.vectorizer.transform([text]).tocoo()
        columns, weights = index.terms(text)
        assert weights.dtype == expected.dtype
        assert dict(zip(columns.tolist(), weights.tolist(), strict=True)) == pytest.approx(
            dict(zip(expected.col.tolist(), expected.data.tolist(), strict=True)), rel=1e-6
        )
