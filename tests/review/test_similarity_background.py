"""The similar-ideas index fitted in a background thread: no lookup waits for a fit."""

import threading

import pytest

from portal import similarity
from portal.models import IdeaStatus
from tests.review.test_similarity import CORPUS, REWORDED, _plant


@pytest.fixture
def app_config():
    return {"SIMILARITY_BACKGROUND": True}


@pytest.fixture
def gate(monkeypatch):
    """Background fits wait until the test opens the gate (so a test sees them running)."""
    opened = threading.Event()
    fitted = similarity.SimilarityIndex._fitted

    def held(self):
        assert opened.wait(30), "the test never opened the gate"
        return fitted(self)

    monkeypatch.setattr(similarity.SimilarityIndex, "_fitted", held)
    yield opened
    opened.set()


def test_first_lookup_starts_the_fit_and_answers_at_once(app, employee, make_idea, gate):
    ideas = [_plant(make_idea, employee, f) for f in CORPUS]
    text = similarity.idea_text(*REWORDED)
    assert similarity.similar_to_text(text) == []  # not ready: nothing yet, no waiting
    index = similarity.get_index()
    assert index.builder.is_alive() and index.refits == 0
    assert similarity.similar_to_text(text) == []  # still fitting: no second fit started
    gate.set()
    assert index.wait(30)
    assert index.refits == 1 and index.fit_seconds is not None
    assert similarity.similar_to_text(text)[0].idea.id == ideas[0].id


def test_refit_after_growth_runs_in_the_background_on_the_previous_index(
    app, employee, make_idea, gate
):
    ideas = [_plant(make_idea, employee, f) for f in CORPUS[:3]]
    index = similarity.get_index()
    gate.set()
    similarity.similar_to_text("van routes")
    assert index.wait(30) and index.refits == 1 and index.fitted_rows == 3
    gate.clear()
    more = [_plant(make_idea, employee, f) for f in CORPUS[3:]]  # 5 > 3 x 1.2: refit
    found = similarity.similar_to_text("reset password service desk")
    # found at once from the previous index, the new idea appended to it
    assert [s.idea.id for s in found][:1] == [more[0].id]
    assert index.builder.is_alive() and index.refits == 1
    gate.set()
    assert index.wait(30) and index.refits == 2 and index.fitted_rows == 5
    assert similarity.similar_to_text("van routes dispatch")[0].idea.id == ideas[2].id


def test_the_first_request_of_a_process_warms_the_index(app, employee_client, employee, make_idea):
    idea = _plant(make_idea, employee, CORPUS[2])
    assert "converge_similarity" not in app.extensions
    employee_client.get("/")  # any page
    index = app.extensions["converge_similarity"]
    assert index.background and index.wait(30) and index.refits == 1
    found = employee_client.get("/review/similar", query_string={"text": "van routes"}).json
    assert [i["id"] for i in found["ideas"]] == [idea.id]


def test_testing_apps_fit_inside_the_lookup_unless_told(app, tmp_path):
    from tests.conftest import make_app

    assert app.config["SIMILARITY_BACKGROUND"] is True  # this module asks for it
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    assert other.config["SIMILARITY_BACKGROUND"] is False


def test_draft_text_is_not_indexed(app, employee, make_idea, gate):
    gate.set()
    _plant(make_idea, employee, CORPUS[4], status=IdeaStatus.DRAFT)
    similarity.similar_to_text("barcode")
    assert similarity.get_index().wait(30)
    assert similarity.similar_to_text("barcode scanners pickers") == []
