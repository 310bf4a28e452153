"""The run page says which limit stops the ideas left out, and splits value by objective so
the parts add up to the total."""

import pytest

from portal.portfolio import report
from portal.portfolio.problem import idea_ref
from tests.portfolio.test_runs import _run


def test_budget_with_room_left_is_named_when_no_idea_fits(pm_client, make_candidate, make_scenario):
    """Budget 250: the big idea (200) is in, 50 is left, and the cheapest idea left out needs
    100: the budget is what stops it although it is not used up."""
    big = make_candidate(4, 200.0)
    mid = make_candidate(2, 100.0)
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    assert [s["id"] for s in run.result["selected"]] == [idea_ref(big.id)]
    assert not run.result["binding"][0]["binding"]  # 50 of slack: not binding in the solver

    data = report.run_report(run)
    (limit,) = data["binding"]
    assert (
        limit["limiting"]
        and "50 left, less than the 100 the cheapest idea left out" in (limit["text"])
    )
    (out,) = data["not_selected"]
    assert out["text"].startswith("Does not fit: it needs 100 of the 2027 budget (50 left).")
    assert "Forcing it in would lose" in out["text"]
    html = pm_client.get(f"/portfolio/runs/{run.id}").data.decode()
    assert "No limit stops another idea" not in html and 'data-limit="limiting"' in html
    assert mid.title in html


def test_budget_with_room_for_the_next_idea_is_not_limiting(
    pm_client, make_candidate, make_scenario
):
    make_candidate(4, 200.0)
    make_candidate(2, 100.0)
    run = _run(pm_client, make_scenario(budget={"2027": 1000.0}))
    data = report.run_report(run)
    assert data["binding"] == [] and data["slack"][0]["text"].endswith("700 left.")
    assert data["not_selected"] == []


def test_an_idea_larger_than_the_whole_budget_says_so(pm_client, make_candidate, make_scenario):
    make_candidate(4, 200.0)
    huge = make_candidate(4, 5000.0)
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    (out,) = report.run_report(run)["not_selected"]
    assert out["ref"] == idea_ref(huge.id)
    assert out["text"].startswith("On its own it costs 5k in 2027, more than the whole 2027 budget")


def test_objective_split_adds_up_to_the_total(
    pm_client, make_candidate, make_estimate, make_scenario, make_objective, objective
):
    """One idea: impact 4 on Customer (weight 1) and 4 on Growth (weight 3): a quarter of
    its value and cost goes to Customer, three quarters to Growth."""
    growth = make_objective("Growth", 3.0)
    idea = make_candidate(4, 200.0)
    idea.objectives = [objective, growth]
    make_estimate(idea, idea.submitter, impacts={objective: 4, growth: 4}, costs={"2027": 200})
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    data = report.run_report(run)
    split = data["by_objective"]
    assert split["Customer"]["value"] == pytest.approx(25.0)
    assert split["Growth"]["value"] == pytest.approx(75.0)
    assert split["Customer"]["cost"] == pytest.approx(50.0)
    assert split["Growth"]["cost"] == pytest.approx(150.0)
    total = sum(v["value"] for v in split.values())
    assert total == pytest.approx(run.objective_value)
    html = pm_client.get(f"/portfolio/runs/{run.id}").data.decode()
    assert "split by each objective's share of its weighted impact" in html

    other = _run(pm_client, make_scenario(name="Other", budget={"2027": 300.0}))
    page = pm_client.get(f"/portfolio/compare?run={run.id}&run={other.id}").data.decode()
    split_table = page[page.index("Objectives</td>") :]
    assert ">25.0<" in split_table and ">75.0<" in split_table and ">100.0<" not in split_table
    assert "split by each objective's share" in split_table


def test_infeasible_run_in_plain_words(pm_client, make_candidate, make_scenario):
    big = make_candidate(4, 45000.0)
    scenario = make_scenario(budget={"2027": 1000.0}, force_in=[big.id])
    run = _run(pm_client, scenario)
    html = pm_client.get(f"/portfolio/runs/{run.id}").data.decode()
    assert (
        f"{idea_ref(big.id)} is forced in and costs 45k in 2027, more than the 2027 budget of 1k"
        in html
    )
    assert "force_in" not in html and "&gt; budget" not in html
    assert "budget 2027 is 1k" in html


def test_exports_write_amounts_as_people_do(pm_client, make_candidate, make_scenario):
    make_candidate(3, 204000.0)  # value 75
    run = _run(pm_client, make_scenario(budget={"2027": 300000.0}))
    lines = pm_client.get(f"/portfolio/runs/{run.id}/selection.csv").data.decode().splitlines()
    assert lines[1].endswith(
        ",75,75,75,204000,204000,204000,0,2027,204000,0,0"
    )  # TCO, NPV, negative
    html = pm_client.get(f"/portfolio/runs/{run.id}").data.decode()
    assert ">204k<" in html  # compact amounts on the page, like the sentences


def test_plural_filter(app):
    render = app.jinja_env.from_string(
        "{{ 1|plural('idea') }}; {{ 4|plural('idea') }}; {{ 2|plural('person', 'people') }}"
    )
    assert render.render() == "1 idea; 4 ideas; 2 people"
