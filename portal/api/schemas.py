"""Marshmallow schemas: what the API accepts and returns (and so what OpenAPI documents)."""

from datetime import UTC

import marshmallow as ma
from marshmallow import fields, validate

from portal import workflow
from portal.campaigns.rules import FIELDS_HELP
from portal.forms import MAX_ID, MAX_SEARCH
from portal.ideas import rules
from portal.ideas.rules import TEXT_LIMIT
from portal.models import (
    MAX_AMOUNT,
    BudgetMode,
    CampaignState,
    CommentKind,
    Confidence,
    FieldKind,
    IdeaStatus,
    Role,
    RunStatus,
    ScenarioObjective,
)
from portal.review import rules as estimate_rules


class Text(fields.String):
    """A string that can be stored, stripped of outer spaces: without NUL characters
    (PostgreSQL refuses them) and without lone surrogates (a JSON escape such as "\\ud800" is
    half of a character, which cannot be encoded as UTF-8). Every string the API reads."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ma.ValidationError("Must not contain NUL characters.")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ma.ValidationError(
                "Must be text: it holds half of a character (a lone surrogate escape)."
            ) from None
        return text.strip()


class UtcDateTime(fields.DateTime):
    """Times are stored as naive UTC; say so in the output (RFC 3339 with an offset)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


def Id(strict: bool = True, **kwargs) -> fields.Integer:  # noqa: N802  (reads like a class)
    """A database id; `strict` refuses "5" for 5 (JSON), query strings need it off."""
    return fields.Integer(strict=strict, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


# ------------------------------------------------------------------ references


class Ref(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class MeSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    department = fields.Nested(Ref, required=True)
    covered_departments = fields.List(fields.Nested(Ref), required=True)


# ----------------------------------------------------------------------- ideas


class IdeaQuerySchema(ma.Schema):
    q = Text(
        validate=validate.Length(max=MAX_SEARCH), metadata={"description": "Words in the text"}
    )
    department_id = Id(strict=False)
    status = fields.Enum(IdeaStatus, by_value=True)
    objective_id = Id(strict=False)
    sort = fields.String(
        load_default="newest", validate=validate.OneOf(["newest", "votes", "oldest"])
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class IdeaSummarySchema(ma.Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True, metadata={"example": "IDEA-12"})
    title = fields.String(required=True)
    status = fields.Enum(IdeaStatus, by_value=True, required=True)
    department = fields.Nested(Ref, required=True)
    submitter = fields.Nested(Ref, required=True)
    objectives = fields.List(fields.Nested(Ref), required=True)
    vote_count = fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    submitted_at = UtcDateTime(required=True, allow_none=True)


class IdeaSchema(IdeaSummarySchema):
    problem = fields.String(required=True)
    proposal = fields.String(required=True)
    expected_benefit = fields.String(required=True)
    status_reason = fields.String(required=True, allow_none=True)
    merged_into_id = fields.Integer(required=True, allow_none=True)
    updated_at = UtcDateTime(required=True)
    decided_at = UtcDateTime(required=True, allow_none=True)
    voted = fields.Boolean(required=True, metadata={"description": "Whether you voted for it"})


class IdeaPageSchema(ma.Schema):
    items = fields.List(fields.Nested(IdeaSummarySchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(
        required=True, metadata={"description": "Matches, counted up to 10,000 (see total_exact)"}
    )
    total_exact = fields.Boolean(
        required=True,
        metadata={"description": "False when there are more matches than `total`"},
    )
    pages = fields.Integer(
        required=True, metadata={"description": "Pages of `total` (a lower bound if not exact)"}
    )


def IdeaText(rule: rules.TextRule) -> Text:  # noqa: N802  (reads like a class)
    """A required idea text field, as long as its rule allows."""
    return Text(required=True, validate=validate.Length(min=rule.min_length, max=rule.max_length))


class IdeaCreateSchema(ma.Schema):
    title = IdeaText(rules.TITLE)
    problem = IdeaText(rules.PROBLEM)
    proposal = IdeaText(rules.PROPOSAL)
    expected_benefit = IdeaText(rules.EXPECTED_BENEFIT)
    department_id = Id(metadata={"description": "Default: your own department"})
    objective_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=50))
    submit = fields.Boolean(
        load_default=False, metadata={"description": "Submit for review now (default: draft)"}
    )


class VoteSchema(ma.Schema):
    voted = fields.Boolean(required=True)
    vote_count = fields.Integer(required=True)


class CommentCreateSchema(ma.Schema):
    body = IdeaText(rules.COMMENT)


class CommentSchema(ma.Schema):
    id = fields.Integer(required=True)
    author = fields.Nested(Ref, required=True)
    kind = fields.Enum(CommentKind, by_value=True, required=True)
    body = fields.String(required=True)
    created_at = UtcDateTime(required=True)


# ------------------------------------------------------------------- estimates

# The one bound of every amount (money, effort, capacity): see portal.forms.parse_amount.
MONEY_LIMIT = MAX_AMOUNT


def _positive(limit: float) -> fields.Float:
    return fields.Float(load_default=0.0, validate=validate.Range(min=0, max=limit))


class ImpactSchema(ma.Schema):
    objective_id = Id(required=True)
    impact = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=estimate_rules.IMPACT_MIN, max=estimate_rules.IMPACT_MAX),
        metadata={
            "description": "0 None, 1 Low, 2 Moderate, 3 Strong, 4 Extreme; negative: hinders "
            "the objective (-1 .. -4), weighted as positive impacts"
        },
    )


class ImpactOutSchema(ImpactSchema):
    objective = fields.String(required=True, attribute="objective.name")


class CostSchema(ma.Schema):
    period = Text(required=True, validate=validate.Length(min=1, max=20))
    capex = _positive(MONEY_LIMIT)
    opex = _positive(MONEY_LIMIT)


class EffortSchema(ma.Schema):
    pool_id = Id(required=True)
    period = Text(required=True, validate=validate.Length(min=1, max=20))
    amount = _positive(MONEY_LIMIT)


class EffortOutSchema(EffortSchema):
    pool = fields.String(required=True, attribute="pool.name")


class EstimateCreateSchema(ma.Schema):
    """The same inputs as the estimate form; the rules live in portal.review.estimates."""

    base_version = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=MAX_ID),
        metadata={
            "description": "The current version you edited (0 when the idea has no estimate). "
            "When someone saved a newer version meanwhile, the save is refused with 409."
        },
    )
    value_low = fields.Float(load_default=1.0, validate=validate.Range(min=0, max=1e6))
    value_likely = fields.Float(load_default=1.0, validate=validate.Range(min=0, max=1e6))
    value_high = fields.Float(load_default=1.0, validate=validate.Range(min=0, max=1e6))
    risk = fields.Float(load_default=0.0, validate=validate.Range(min=0, max=1))
    confidence = fields.Enum(Confidence, by_value=True, load_default=Confidence.MEDIUM)
    notes = Text(load_default="", validate=validate.Length(max=TEXT_LIMIT))
    impacts = fields.List(
        fields.Nested(ImpactSchema), load_default=list, validate=validate.Length(max=200)
    )
    costs = fields.List(
        fields.Nested(CostSchema), load_default=list, validate=validate.Length(max=100)
    )
    efforts = fields.List(
        fields.Nested(EffortSchema), load_default=list, validate=validate.Length(max=500)
    )
    value_profile = fields.Dict(
        keys=Text(validate=validate.Length(min=1, max=20)),
        values=fields.Float(validate=validate.Range(min=0, max=estimate_rules.MAX_PROFILE_WEIGHT)),
        load_default=dict,
        metadata={
            "description": "Value over time: {period: weight}, how the value spreads (ramp up, "
            "peak, decay); empty: one value not tied to periods",
            "example": {"2027": 1, "2028": 3, "2029": 2},
        },
    )
    run_cost_per_year = fields.Float(
        load_default=0.0,
        validate=validate.Range(min=0, max=estimate_rules.MAX_RUN_COST),
        metadata={"description": "Run cost (opex) per year after go-live"},
    )
    lifetime_years = fields.Integer(
        load_default=0,
        strict=True,
        validate=validate.Range(min=0, max=estimate_rules.MAX_LIFETIME_YEARS),
        metadata={"description": "Years the run cost continues after go-live"},
    )
    mark_estimated = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Also mark an idea that is in review as estimated (like the "
            "estimate form's checkbox)"
        },
    )

    @ma.validates_schema
    def _once_each(self, data, **_kwargs):
        """A list names each objective, period and pool-period once (no silent overwrite)."""
        errors: dict = {}
        objectives = [i["objective_id"] for i in data["impacts"]]
        if len(objectives) != len(set(objectives)):
            errors["impacts"] = ["Rate each objective once."]
        periods = [c["period"] for c in data["costs"]]
        if len(periods) != len(set(periods)):
            errors["costs"] = ["Give each period once."]
        pool_periods = [(e["pool_id"], e["period"]) for e in data["efforts"]]
        if len(pool_periods) != len(set(pool_periods)):
            errors["efforts"] = ["Give each pool and period once."]
        if errors:
            raise ma.ValidationError(errors)


class ValueRangeSchema(ma.Schema):
    low = fields.Float(required=True)
    likely = fields.Float(required=True)
    high = fields.Float(required=True)


class EstimateSchema(ma.Schema):
    id = fields.Integer(required=True)
    idea_id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    is_current = fields.Boolean(required=True)
    author = fields.Nested(Ref, required=True)
    created_at = UtcDateTime(required=True)
    value_low = fields.Float(required=True)
    value_likely = fields.Float(required=True)
    value_high = fields.Float(required=True)
    risk = fields.Float(required=True)
    confidence = fields.Enum(Confidence, by_value=True, required=True)
    notes = fields.String(required=True)
    impacts = fields.List(fields.Nested(ImpactOutSchema), required=True)
    costs = fields.List(fields.Nested(CostSchema), required=True)
    efforts = fields.List(fields.Nested(EffortOutSchema), required=True)
    total_cost = fields.Float(required=True)
    strategic_value = fields.Float(
        required=True,
        metadata={
            "description": "0..100: weighted impact over the active strategic objectives, "
            "with today's weights"
        },
    )
    value_range = fields.Nested(
        ValueRangeSchema,
        required=True,
        metadata={"description": "The strategic value times value_low / likely / high"},
    )
    value_profile = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    run_cost_per_year = fields.Float(required=True)
    lifetime_years = fields.Integer(required=True)
    tco = fields.Float(
        required=True, metadata={"description": "Build cost + run cost over the lifetime"}
    )
    npv_cost = fields.Float(
        required=True,
        metadata={"description": "Present value of the TCO at the reference discount rate"},
    )


# ------------------------------------------------------------ scenarios and runs


class ShareSchema(ma.Schema):
    min = fields.Float(load_default=0.0, validate=validate.Range(min=0, max=1))
    max = fields.Float(load_default=1.0, validate=validate.Range(min=0, max=1))


def _amount(limit: float = MONEY_LIMIT) -> fields.Float:
    return fields.Float(validate=validate.Range(min=0, max=limit))


def _keyed(values, description: str, example=None) -> fields.Dict:
    metadata = {"description": description}
    if example is not None:
        metadata["example"] = example
    return fields.Dict(
        keys=Text(validate=validate.Length(min=1, max=20)),
        values=values,
        load_default=dict,
        metadata=metadata,
    )


class CandidateFilterSchema(ma.Schema):
    states = fields.List(
        fields.String(validate=validate.Length(max=20)),
        load_default=lambda: [s.value for s in workflow.DEFAULT_SCENARIO_CANDIDATES],
        validate=validate.Length(max=20),
        metadata={"description": "Idea states to take candidates from", "example": ["approved"]},
    )
    department_ids = fields.List(
        Id(), load_default=list, validate=validate.Length(max=1000), metadata={"example": []}
    )
    objective_ids = fields.List(
        Id(), load_default=list, validate=validate.Length(max=1000), metadata={"example": []}
    )
    campaign_id = Id(
        metadata={"description": "Only this campaign's ideas, within its budget envelope"}
    )


class ScenarioSettingsSchema(ma.Schema):
    """A scenario's settings in the shape the scenario form saves (portal.portfolio).

    Periods are names; pools, departments, objectives and ideas are named by id (as JSON
    object keys, strings). The rules (budgets only for planning periods, shares adding up,
    shifts within the horizon, ...) are checked by the portfolio service, exactly as for
    the form; a broken rule is a 422 naming the setting.
    """

    name = Text(required=True, validate=validate.Length(max=200))
    description = Text(load_default="", validate=validate.Length(max=TEXT_LIMIT))
    periods = fields.List(
        Text(validate=validate.Length(max=40)),
        required=True,
        validate=validate.Length(max=100),
        metadata={"example": ["2027", "2028", "2029"]},
    )
    budget = _keyed(
        _amount(),
        "Budget per period; a period without one is unbounded",
        {"2027": 1500000, "2028": 1800000},
    )
    budget_mode = fields.Enum(
        BudgetMode,
        by_value=True,
        load_default=BudgetMode.TOTAL,
        metadata={
            "description": "total: the budget covers the current plan's ideas, which are "
            "candidates; remaining: what is left after the plan, whose ideas stay"
        },
    )
    capacity = _keyed(
        fields.Dict(keys=fields.String(validate=validate.Length(max=40)), values=_amount()),
        "Capacity per resource pool id and period; no entry: no limit",
        {"1": {"2027": 10}},
    )
    candidate_filter = fields.Nested(
        CandidateFilterSchema,
        load_default=lambda: CandidateFilterSchema().load({}),
        metadata={"description": "Which ideas are candidates; empty id lists mean all"},
    )
    department_shares = _keyed(
        fields.Nested(ShareSchema),
        "Share (0..1) of the selected cost per department id",
        {"3": {"min": 0.1, "max": 0.4}},
    )
    theme_min_shares = _keyed(
        fields.Float(validate=validate.Range(min=0, max=1)),
        "Minimum share (0..1) of the selected cost per strategic objective id",
    )
    theme_max_shares = _keyed(
        fields.Float(validate=validate.Range(min=0, max=1)),
        "Maximum share (0..1) of the selected cost per strategic objective id",
    )
    discount_rate = fields.Float(
        load_default=0.0,
        validate=validate.Range(min=0, max=estimate_rules.MAX_DISCOUNT_RATE),
        metadata={"description": "Per year (0.08 = 8 %); see docs/lifecycle.md"},
    )
    tail_years = fields.Integer(
        load_default=0,
        strict=True,
        validate=validate.Range(min=0, max=estimate_rules.MAX_TAIL_YEARS),
        metadata={"description": "Years of the selected ideas' run cost counted past the horizon"},
    )
    tail_budget = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=MONEY_LIMIT),
        metadata={"description": "Budget line for that run cost (total); null: only reported"},
    )
    count_min = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=MAX_ID)
    )
    count_max = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=MAX_ID)
    )
    force_in = fields.List(Id(), load_default=list, validate=validate.Length(max=1000))
    force_out = fields.List(Id(), load_default=list, validate=validate.Length(max=1000))
    start_later = _keyed(
        fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_ID)),
        'Periods an idea (by id) may start later; "*" applies to every idea',
        {"*": 1},
    )
    apply_requires = fields.Boolean(load_default=True)
    apply_excludes = fields.Boolean(load_default=True)
    apply_together = fields.Boolean(load_default=True)
    objective = fields.Enum(ScenarioObjective, by_value=True, load_default=ScenarioObjective.VALUE)
    backend = Text(load_default="cbc", validate=validate.Length(max=20))
    time_limit = fields.Integer(load_default=60, validate=validate.Range(min=0, max=MAX_ID))


class CandidateFilterOutSchema(ma.Schema):
    states = fields.List(fields.String(), required=True)
    department_ids = fields.List(fields.Integer(), required=True)
    objective_ids = fields.List(fields.Integer(), required=True)
    campaign_id = fields.Integer(required=True, allow_none=True)

    @ma.pre_dump
    def _defaults(self, filters, **_kwargs):
        """A stored filter may leave keys out: they mean the defaults."""
        filters = filters or {}
        return {
            "states": list(
                filters.get("states") or [s.value for s in workflow.DEFAULT_SCENARIO_CANDIDATES]
            ),
            "department_ids": list(filters.get("department_ids") or []),
            "objective_ids": list(filters.get("objective_ids") or []),
            "campaign_id": filters.get("campaign_id"),
        }


class ScenarioSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    owner = fields.Nested(Ref, required=True)
    cloned_from_id = fields.Integer(required=True, allow_none=True)
    periods = fields.List(fields.String(), required=True)
    budget = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    capacity = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Float()),
        required=True,
    )
    candidate_filter = fields.Nested(CandidateFilterOutSchema, required=True)
    department_shares = fields.Dict(
        keys=fields.String(), values=fields.Nested(ShareSchema), required=True
    )
    theme_min_shares = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    theme_max_shares = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    discount_rate = fields.Float(required=True)
    tail_years = fields.Integer(required=True)
    tail_budget = fields.Float(required=True, allow_none=True)
    count_min = fields.Integer(required=True, allow_none=True)
    count_max = fields.Integer(required=True, allow_none=True)
    force_in = fields.List(fields.Integer(), required=True)
    force_out = fields.List(fields.Integer(), required=True)
    start_later = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    apply_requires = fields.Boolean(required=True)
    apply_excludes = fields.Boolean(required=True)
    apply_together = fields.Boolean(required=True)
    objective = fields.Enum(ScenarioObjective, by_value=True, required=True)
    budget_mode = fields.Enum(BudgetMode, by_value=True, required=True)
    backend = fields.String(required=True)
    time_limit = fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class RunSummarySchema(ma.Schema):
    id = fields.Integer(required=True)
    scenario_id = fields.Integer(required=True)
    number = fields.Integer(required=True)
    status = fields.Enum(RunStatus, by_value=True, required=True)
    result_status = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "optimal, feasible, infeasible, no_solution or invalid"},
    )
    objective_value = fields.Float(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    settings = fields.Dict(required=True)
    build_seconds = fields.Float(required=True, allow_none=True)
    solve_seconds = fields.Float(required=True, allow_none=True)
    created_by = fields.Nested(Ref, required=True)
    created_at = UtcDateTime(required=True)
    started_at = UtcDateTime(required=True, allow_none=True)
    finished_at = UtcDateTime(required=True, allow_none=True)
    adopted_at = UtcDateTime(required=True, allow_none=True)


class RunSchema(RunSummarySchema):
    problem = fields.Dict(
        required=True, metadata={"description": "The frozen optimizer problem (converge.problem/1)"}
    )
    result = fields.Dict(
        required=True,
        allow_none=True,
        metadata={"description": "The optimizer's answer (converge.result/1) once done"},
    )


# ------------------------------------------------------------------- campaigns


class CampaignFieldSchema(ma.Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in FieldKind]))
    choices = fields.List(fields.String(), required=True)
    required = fields.Boolean(required=True)


class CampaignSchema(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    question = fields.String(required=True)
    context = fields.String(required=True)
    state = fields.Enum(CampaignState, by_value=True, required=True)
    sponsor = fields.Nested(Ref, required=True)
    departments = fields.List(
        fields.Nested(Ref), required=True, metadata={"description": "Empty: everyone"}
    )
    objectives = fields.List(fields.Nested(Ref), required=True)
    opens_on = fields.Date(required=True)
    closes_on = fields.Date(required=True)
    budget_envelope = fields.Float(required=True, allow_none=True)
    fields_ = fields.List(
        fields.Nested(CampaignFieldSchema), required=True, data_key="fields", attribute="fields"
    )


class CampaignIdeaSchema(IdeaSummarySchema):
    answers = fields.Dict(
        keys=fields.String(),
        required=True,
        attribute="campaign_answers",
        metadata={"description": "Answers to the campaign's extra fields, by field key"},
    )
    outcome = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "In or out of the latest adopted plan that weighed it, and why"},
    )


class CampaignCreateSchema(ma.Schema):
    title = Text(required=True, validate=validate.Length(min=5, max=200))
    question = Text(required=True, validate=validate.Length(min=1, max=TEXT_LIMIT))
    context = Text(load_default="", validate=validate.Length(max=TEXT_LIMIT))
    opens_on = fields.Date(required=True)
    closes_on = fields.Date(required=True)
    budget_envelope = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=MAX_AMOUNT),
        allow_nan=False,
    )
    department_ids = fields.List(
        Id(), load_default=list, validate=validate.Length(max=1000), metadata={"example": []}
    )
    objective_ids = fields.List(
        Id(), load_default=list, validate=validate.Length(max=1000), metadata={"example": []}
    )
    fields_ = Text(
        load_default="",
        data_key="fields",
        attribute="fields",
        validate=validate.Length(max=2000),
        metadata={"description": FIELDS_HELP, "example": "Invoices per month: number *"},
    )
