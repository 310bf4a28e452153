"""What keeps a run's overhead small: charts kept on the run, a light status poll, the
results table cut to the shown rows, bounded explanations, no transaction held while solving."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import charts
from portal.extensions import db
from portal.models import Department, Run, RunStatus
from portal.portfolio import exports, report, runs, service
from portal.portfolio import problem as bridge
from portal.portfolio.problem import idea_ref


@pytest.fixture
def three_ideas(make_candidate):
    """Values 100, 50, 25 costing 200, 100, 100 in 2027."""
    return make_candidate(4, 200.0), make_candidate(2, 100.0), make_candidate(1, 100.0)


def _run(client, scenario) -> Run:
    response = client.post(f"/portfolio/scenarios/{scenario.id}/run")
    assert response.status_code == 302, response.data[:500]
    return db.session.get(Run, int(response.headers["Location"].rsplit("/", 1)[1]))


def _no_drawing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a chart was drawn again")

    for name in ("budget_chart", "paired_bar_chart", "line_chart", "bar_chart"):
        monkeypatch.setattr(charts, name, refuse)


def test_charts_are_drawn_once_by_the_job_and_kept(
    pm_client, make_scenario, three_ideas, monkeypatch
):
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    assert run.charts["analysis"] == "done"
    assert {"spend", "departments", "frontier", "robustness"} <= set(run.charts["svg"])
    budget_chart = charts.budget_chart
    _no_drawing(monkeypatch)  # every view from now on uses the kept charts
    html = pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
    assert "Spend against budget" in html and "Efficient frontier" in html
    assert "<svg" in html and "data-charts-pending" not in html
    run.adopted_at = run.finished_at
    db.session.commit()
    # The plan page's spend chart is the whole plan's as it is now (earlier plans' ideas
    # too), drawn from its commitments once per data (`charts.remembered`), not kept.
    monkeypatch.setattr(charts, "budget_chart", budget_chart)
    plan = pm_client.get("/portfolio/plan").get_data(as_text=True)
    assert "Spend against budget" in plan and "Efficient frontier" not in plan


def test_the_kept_charts_markup_follows_what_is_kept(
    pm_client, make_scenario, three_ideas, monkeypatch
):
    """The run page keeps its charts' markup per kept text (`run_charts._kept_markup`): a
    second view shows the same, and charts kept anew show at once, never the old ones."""
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    _no_drawing(monkeypatch)
    first = pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
    assert first == pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
    assert "Spend against budget" in first
    kept = dict(run.charts)
    spend = kept["svg"]["spend"].replace("Spend against budget", "Spend kept anew")
    run.charts = {**kept, "svg": {**kept["svg"], "spend": spend}}
    db.session.commit()
    again = pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
    assert "Spend kept anew" in again and "Spend against budget" not in again


def test_the_run_page_reads_its_run_with_one_query(pm_client, make_scenario, three_ideas):
    """The run, its problem, result, charts and scenario come in one statement (they were
    four more); the analysis state is read from the result loaded with it (the status poll
    reads only that state from the database)."""
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    seen = []

    def note(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    db.session.remove()
    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert pm_client.get(f"/portfolio/runs/{run.id}").status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    runs_read = [s for s in seen if " FROM runs" in s]
    assert len(runs_read) == 1, runs_read
    assert "runs.problem" in runs_read[0] and "runs.charts" in runs_read[0]
    assert "JOIN scenarios" in runs_read[0]
    assert not any(s.startswith("SELECT scenarios.") for s in seen)
    # Every table's idea titles come in one query, the explanations' parts are read once.
    assert len([s for s in seen if s.startswith("SELECT ideas.id, ideas.title")]) == 1, seen
    assert len([s for s in seen if "FROM run_explanation_parts" in s]) == 1, seen


def test_the_run_page_reads_the_same_for_any_reader(
    pm_client, brm_client, make_scenario, three_ideas
):
    """The names of the run's scenario and creator come with the run: a reader other than
    its creator sends no query more."""
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    page, creator = f"/portfolio/runs/{run.id}", run.created_by.name
    counts = []
    for client in (pm_client, brm_client):
        assert client.get(page).status_code == 200
        db.session.remove()
        seen = []

        def note(conn, cursor, statement, *args, seen=seen):
            seen.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", note)
        try:
            html = client.get(page).get_data(as_text=True)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)
        counts.append(len(seen))
        assert f"by {creator}" in html
    assert counts[0] == counts[1], counts


def test_a_run_without_kept_charts_draws_them_on_view_and_a_job_keeps_them(
    pm_client, make_scenario, three_ideas, monkeypatch
):
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    run.charts = None  # as for runs from before charts were kept
    db.session.commit()
    html = pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
    assert "Spend against budget" in html and "Robustness" in html
    db.session.rollback()  # see what other connections committed
    assert db.session.get(Run, run.id).charts is None  # a page never writes
    runs.keep_charts(run.id)
    db.session.rollback()
    assert db.session.get(Run, run.id).charts["analysis"] == "done"
    _no_drawing(monkeypatch)
    assert "Spend against budget" in pm_client.get(f"/portfolio/runs/{run.id}").get_data(
        as_text=True
    )


def test_while_the_analysis_runs_the_page_shows_the_kept_charts_or_says_they_come(
    pm_client, make_scenario, three_ideas, monkeypatch
):
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    run.result = {**run.result, "analysis": {"state": "pending"}}
    run.charts = None
    db.session.commit()
    _no_drawing(monkeypatch)  # a page never draws while the job is still at it
    html = pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
    assert "data-charts-pending" in html and "Drawing the charts" in html
    assert 'data-analysis="pending"' in html
    state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
    assert state["analysis"] == "pending" and not state["finished"]


def test_the_header_stops_counting_when_the_run_ends(
    pm_client, make_scenario, three_ideas, monkeypatch
):
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    run.finished_at = run.created_at  # a solve quicker than the tenth of a second shown
    db.session.commit()
    html = pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
    assert "took under 0.1 s" in html and "took 0.0 s" not in html
    run.finished_at = run.created_at + timedelta(seconds=2.34)
    db.session.commit()
    took = 2.3
    html = pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
    assert f"took {took} s" in html and "so far" not in html
    # Still analysing: the solve has ended, so the time stands and the page says what waits.
    run.result = {**run.result, "analysis": {"state": "pending"}}
    db.session.commit()
    _no_drawing(monkeypatch)
    html = pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
    assert f"took {took} s" in html and "so far" not in html
    assert "frontier and robustness still being worked out" in html
    run.status, run.finished_at = RunStatus.RUNNING, None
    db.session.commit()
    html = pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
    assert "s so far" in html and "data-elapsed" in html


def test_status_poll_reads_neither_problem_nor_result(pm_client, make_scenario, three_ideas):
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    statements: list[str] = []

    def capture(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    assert state["status"] == "done" and state["analysis"] == "done" and state["finished"]
    runs = [s for s in statements if "FROM runs" in s]
    assert runs and not any("runs.problem" in s or "runs.charts" in s for s in runs)
    # the result is only looked into for the analysis state, never selected whole
    assert not any("runs.result AS" in s for s in runs)
    assert service.analysis_state(run.id) == "done"


def test_results_table_reads_only_the_shown_rows(pm_client, make_scenario, make_candidate):
    ideas = [make_candidate(k, 10.0) for k in (1, 2, 3, 4)]
    run = _run(pm_client, make_scenario(budget={"2027": 1000.0}))
    data = report.run_report(run, shown=2)
    assert data["selected_count"] == 4 and data["selected_cost"] == pytest.approx(40.0)
    assert [r["ref"] for r in data["selected"]] == [idea_ref(ideas[3].id), idea_ref(ideas[2].id)]
    assert data["selected"][0]["title"] == ideas[3].title
    html = pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
    assert ">4 <span" in html  # the count covers every selected idea
    assert len(report.run_report(run, shown=None)["selected"]) == 4
    assert len(exports.selection_csv(run).strip().splitlines()) == 5  # exports have all


def test_a_few_ideas_are_explained_with_the_selection(app, pm_client, make_scenario, three_ideas):
    """Few enough ideas to try every selection: each one's value at stake comes with the
    selection, exact, with no part left to work (an operator's limit on re-solves does not
    apply: none is made)."""
    from portal.models import ExplanationPart

    app.config["PORTFOLIO_EXPLAIN_MAX_CANDIDATES"] = 1
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExplanationPart)) == 0
    assert "explain_skipped" not in run.result["solver"]
    entries = {e["id"]: e for e in run.result["explanations"]}
    big, mid, small = (entries[idea_ref(i.id)] for i in three_ideas)
    assert {e["method"] for e in (big, mid, small)} == {"enumeration"}
    assert all(e["computed"] and e["exact"] for e in (big, mid, small))
    # 250 buys 200 + or 100 + 100: {big} is worth 100, {mid, small} 75
    assert big["selected"] and big["value_lost"] == 25
    assert mid["value_lost"] == 25 and not mid["selected"]


@pytest.mark.usefixtures("search_small_problems")
def test_explanations_are_not_re_solved_above_the_candidate_limit(
    app, pm_client, make_scenario, three_ideas
):
    big, mid, small = three_ideas
    app.config["PORTFOLIO_EXPLAIN_MAX_CANDIDATES"] = 2
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}, force_out=[small.id]))
    assert run.result["solver"]["explain_skipped"] == 2
    entries = {e["id"]: e for e in run.result["explanations"]}
    assert entries[idea_ref(small.id)]["reason"] == "forced_out"  # needs no re-solve
    assert entries[idea_ref(mid.id)]["computed"] is False
    assert "above 2 candidates" in entries[idea_ref(mid.id)]["text"]
    html = pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
    assert "data-explain-skipped" in html and "It is forced out" in html

    app.config["PORTFOLIO_EXPLAIN_MAX_CANDIDATES"] = 3  # at the limit: explained as before
    again = _run(pm_client, make_scenario(name="Again", budget={"2027": 250.0}))
    assert "explain_skipped" not in again.result["solver"]
    assert "would need a value of at least" in pm_client.get(
        f"/portfolio/runs/{again.id}"
    ).get_data(as_text=True)


def test_a_write_elsewhere_while_solving_does_not_fail_the_run(
    app, make_scenario, three_ideas, pm, monkeypatch
):
    """The job holds no transaction while the solver works: on SQLite a transaction that
    read before someone else committed could not write its result afterwards."""
    scenario = make_scenario(budget={"2027": 250.0})
    monkeypatch.setattr(runs, "enqueue", lambda run: None)
    run = service.start_run(scenario, pm)
    run_id = run.id
    db.session.commit()
    solve = bridge.solve

    def solve_while_someone_writes(problem, **kwargs):
        with db.engine.begin() as connection:  # another request, say
            connection.execute(sa.update(Department).values(leader_name="Someone else"))
        return solve(problem, **kwargs)

    monkeypatch.setattr(bridge, "solve", solve_while_someone_writes)
    runs.perform(run_id)
    db.session.rollback()  # see what other connections committed
    run = db.session.get(Run, run_id)
    assert run.status == RunStatus.DONE, run.error
    assert run.result_status == "optimal" and run.charts["analysis"] == "done"
