"""Problem building: every scenario setting lands in the right field of the problem."""

import pytest

import optimizer
from portal.extensions import db
from portal.models import BudgetMode, IdeaLink, IdeaStatus, LinkKind, ScenarioObjective
from portal.portfolio.problem import SettingsError, build_problem, idea_ref, parse_ref
from portal.review.valuation import strategic_value


def test_strategic_value_formula():
    assert strategic_value({1: 4, 2: 0}, {1: 1.0, 2: 1.0}) == pytest.approx(50.0)
    assert strategic_value({1: 2, 2: 4}, {1: 3.0, 2: 1.0}) == pytest.approx(100 * 10 / 16)
    assert strategic_value({1: 4}, {}) == 0.0
    assert strategic_value({9: 4}, {1: 1.0}) == 0.0  # inactive objective counts for nothing


@pytest.mark.parametrize(
    "text, expected", [("IDEA-12", 12), ("idea-3", 3), (" 7 ", 7), ("x", None)]
)
def test_parse_ref(text, expected):
    assert parse_ref(text) == expected


def test_candidates_values_costs_and_validity(make_candidate, make_scenario, make_pool, pm):
    pool = make_pool("Engineering")
    idea = make_candidate(
        3,
        costs={"2027": (100.0, 20.0), "2028": 50.0},
        efforts={pool: {"2027": 2.5}},
        value_low=0.5,
        value_likely=1.0,
        value_high=1.5,
        risk=0.2,
    )
    scenario = make_scenario(budget={"2027": 500.0, "2028": 400.0})
    frozen = build_problem(scenario)
    problem = frozen.problem
    assert optimizer.validate(problem) == []
    (c,) = problem["candidates"]
    assert c["id"] == idea_ref(idea.id)
    assert c["value"] == pytest.approx(75.0)
    assert (c["value_low"], c["value_high"]) == (pytest.approx(37.5), pytest.approx(112.5))
    assert c["cost"] == {"2027": 120.0, "2028": 50.0}
    assert c["effort"] == {"Engineering": {"2027": 2.5}}
    assert c["department"] == idea.department.name
    assert c["themes"] == ["Customer"]
    assert problem["periods"] == ["2027", "2028", "2029"]
    assert problem["budget"] == {"2027": 500.0, "2028": 400.0}
    assert problem["capacity"] == {"Engineering": {}}  # named by an effort, no limit set

    scenario.objective = ScenarioObjective.RISK_ADJUSTED
    c = build_problem(scenario).problem["candidates"][0]
    assert c["value"] == pytest.approx(75.0 * 0.8)
    assert c["value_high"] == pytest.approx(112.5 * 0.8)


def test_settings_map_to_problem_fields(
    make_candidate, make_scenario, make_pool, make_department, make_objective, pm, make_user
):
    sales = make_department("Sales")
    growth = make_objective("Growth", 2.0)
    pool = make_pool("Engineering")
    a = make_candidate(2)
    b = make_candidate(3)
    c = make_candidate(1, submitter=make_user(dept=sales))
    c.objectives = [growth]
    db.session.commit()
    scenario = make_scenario(
        capacity={str(pool.id): {"2027": 10.0, "2030": 5.0}},
        department_shares={
            str(a.department_id): {"min": 0.1, "max": 0.9},
            str(sales.id): {"min": 0.0, "max": 0.5},
        },
        theme_min_shares={str(growth.id): 0.2},
        count_min=1,
        count_max=2,
        force_in=[a.id],
        force_out=[b.id],
        start_later={"*": 1, str(b.id): 2},
    )
    problem = build_problem(scenario).problem
    assert optimizer.validate(problem) == []
    assert problem["capacity"] == {"Engineering": {"2027": 10.0}}  # 2030 is not a period
    assert problem["department_share"] == {
        a.department.name: {"min": 0.1, "max": 0.9},
        "Sales": {"min": 0.0, "max": 0.5},
    }
    assert problem["theme_min_share"] == {"Growth": 0.2}
    assert problem["count"] == {"min": 1, "max": 2}
    assert problem["force_in"] == [idea_ref(a.id)]
    assert problem["force_out"] == [idea_ref(b.id)]
    shifts = {x["id"]: x.get("may_start_later_by", 0) for x in problem["candidates"]}
    assert shifts == {idea_ref(a.id): 1, idea_ref(b.id): 2, idea_ref(c.id): 1}


def test_candidate_filter(make_candidate, make_scenario, make_department, make_user, make_idea):
    sales = make_department("Sales")
    approved = make_candidate()
    deferred = make_candidate(status=IdeaStatus.DEFERRED)
    selected = make_candidate(status=IdeaStatus.SELECTED)
    in_sales = make_candidate(submitter=make_user(dept=sales), serves=False)
    make_candidate(status=IdeaStatus.ESTIMATED)  # never a candidate
    make_idea(approved.submitter, status=IdeaStatus.APPROVED)  # no estimate: not a candidate

    def ids(mode=BudgetMode.TOTAL, **candidate_filter):
        scenario = make_scenario(candidate_filter=candidate_filter, budget_mode=mode)
        return {parse_ref(c["id"]) for c in build_problem(scenario).problem["candidates"]}

    # A total budget: the plan's selections are candidates that may be kept.
    assert ids() == {approved.id, deferred.id, selected.id, in_sales.id}
    # What remains after the plan: its selections stay and are not candidates.
    assert ids(BudgetMode.REMAINING) == {approved.id, deferred.id, in_sales.id}
    assert ids(BudgetMode.REMAINING, states=["selected"]) == set()
    assert ids(states=["selected"]) == {selected.id}
    assert ids(department_ids=[sales.id]) == {in_sales.id}
    objective_id = approved.objectives[0].id
    assert ids(objective_ids=[objective_id]) == {approved.id, deferred.id, selected.id}


def test_only_the_current_estimate_counts(make_candidate, make_estimate, make_scenario, objective):
    idea = make_candidate(1)
    make_estimate(idea, idea.submitter, impacts={objective: 4}, costs={"2027": 10})
    (c,) = build_problem(make_scenario()).problem["candidates"]
    assert c["value"] == 100.0 and c["cost"] == {"2027": 10.0}


def test_links_become_requires_exclusive_together(make_candidate, make_scenario, pm):
    a, b, c, d, e = (make_candidate() for _ in range(5))
    for source, target, kind in [
        (a, b, LinkKind.REQUIRES),
        (b, c, LinkKind.EXCLUDES),
        (d, e, LinkKind.TOGETHER_WITH),
        (a, c, LinkKind.RELATED),
    ]:
        db.session.add(IdeaLink(source=source, target=target, kind=kind))
    db.session.commit()
    problem = build_problem(make_scenario()).problem
    assert problem["requires"] == [[idea_ref(a.id), idea_ref(b.id)]]
    assert problem["exclusive"] == [[idea_ref(b.id), idea_ref(c.id)]]
    assert problem["together"] == [[idea_ref(d.id), idea_ref(e.id)]]
    off = make_scenario(apply_requires=False, apply_excludes=False, apply_together=False)
    problem = build_problem(off).problem
    assert problem["requires"] == problem["exclusive"] == problem["together"] == []


def test_links_to_ideas_outside_the_candidates(make_candidate, make_scenario):
    needs_rejected = make_candidate()
    rejected = make_candidate(status=IdeaStatus.REJECTED)
    needs_delivered = make_candidate()
    delivered = make_candidate(status=IdeaStatus.DELIVERED)
    clashes = make_candidate()
    in_delivery = make_candidate(status=IdeaStatus.IN_DELIVERY)
    db.session.add_all(
        [
            IdeaLink(source=needs_rejected, target=rejected, kind=LinkKind.REQUIRES),
            IdeaLink(source=needs_delivered, target=delivered, kind=LinkKind.REQUIRES),
            IdeaLink(source=in_delivery, target=clashes, kind=LinkKind.EXCLUDES),
        ]
    )
    db.session.commit()
    frozen = build_problem(make_scenario())
    ids = {parse_ref(c["id"]) for c in frozen.problem["candidates"]}
    assert ids == {needs_delivered.id}
    reasons = {parse_ref(x["id"]): x["text"] for x in frozen.left_out}
    assert "requires" in reasons[needs_rejected.id]
    assert "already in the plan" in reasons[clashes.id]


def test_cost_outside_the_periods_leaves_the_idea_out(make_candidate, make_scenario):
    late = make_candidate(costs={"2031": 10})
    frozen = build_problem(make_scenario())
    assert frozen.problem["candidates"] == []
    assert frozen.left_out[0]["id"] == idea_ref(late.id)
    assert "2031" in frozen.left_out[0]["text"]


def test_settings_naming_missing_things_are_refused(
    make_candidate, make_scenario, make_department, make_objective
):
    make_candidate()
    rejected = make_candidate(status=IdeaStatus.REJECTED)
    empty = make_department("Legal")
    unused = make_objective("Unused")
    scenario = make_scenario(
        force_in=[rejected.id],
        department_shares={str(empty.id): {"min": 0.2, "max": 1.0}},
        theme_min_shares={str(unused.id): 0.1},
    )
    with pytest.raises(SettingsError) as info:
        build_problem(scenario)
    settings = {p["setting"] for p in info.value.problems}
    assert settings == {"force", "shares", "themes"}
    assert any(idea_ref(rejected.id) in p["text"] for p in info.value.problems)
