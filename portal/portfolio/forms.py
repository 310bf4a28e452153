"""Scenario form: every setting a portfolio manager chooses, parsed into the model's shape.

Budgets and capacities are typed as short lines (`2027: 1.2M`, `Engineering 2027: 40`)
because the periods are chosen on the same form; department and theme shares get one row
per department and objective. `ScenarioForm.settings()` returns the values for the
`Scenario` columns once the form validates.
"""

import re
from dataclasses import dataclass, field

from wtforms import (
    BooleanField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from portal import workflow
from portal.forms import (
    AMOUNT_HINT,
    NumberField,
    PortalForm,
    TextLength,
    WholeNumberField,
    choices,
    parse_amount,
    whole_number,
)
from portal.models import BudgetMode, ScenarioObjective
from portal.periods import is_period_name
from portal.portfolio.problem import BACKENDS, parse_ref
from portal.review import rules

MAX_PERIODS = 12
_LINE = re.compile(r"^Line \d+:")


class Problems(ValueError):
    """Every problem found in one field, each a sentence (raised with all of them at once)."""

    def __init__(self, messages: list[str], good: list | None = None):
        super().__init__(" ".join(messages))
        self.messages = messages
        self.good = good or []  # what could be read, so later fields are checked against it


def parse_periods(text: str) -> list[str]:
    """The planning periods; Problems lists every bad name, duplicate and the count at once."""
    periods = [p for p in re.split(r"[,\s;]+", text or "") if p]
    if not periods:
        raise Problems(["List at least one planning period, e.g. 2027, 2028, 2029."])
    problems = []
    if len(periods) > MAX_PERIODS:
        problems.append(f"At most {MAX_PERIODS} periods ({len(periods)} listed).")
    problems += [
        f"'{p}' is not a period name (letters, digits, . _ / -)."
        for p in dict.fromkeys(periods)
        if not is_period_name(p)
    ]
    duplicates = sorted({p for p in periods if periods.count(p) > 1})
    if duplicates:
        problems.append(
            f"Period {', '.join(duplicates)} {'is' if len(duplicates) == 1 else 'are'} "
            "listed twice."
        )
    if problems:
        raise Problems(problems, [p for p in dict.fromkeys(periods) if is_period_name(p)])
    return periods


def _lines(text: str, problems: list[str]) -> list[tuple[int, str, str]]:
    """Non-empty 'key: value' lines as (line number, key, value); malformed lines are added
    to `problems` and skipped."""
    out = []
    for n, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if ":" not in line:
            problems.append(f"Line {n}: write it as 'name: amount'.")
            continue
        key, value = line.rsplit(":", 1)
        out.append((n, key.strip(), value.strip()))
    return out


def _report(field, problems: list[str]) -> None:
    """Every problem of a field shown under it: all but the last added, the last raised."""
    if problems:
        # In line order ('Line 3: ...' after 'Line 1: ...'); others keep their place first.
        problems = sorted(problems, key=lambda m: int(m[5 : m.index(":")]) if _LINE.match(m) else 0)
        field.errors.extend(problems[:-1])
        raise ValidationError(problems[-1])


def parse_refs(text: str) -> list[int]:
    """'IDEA-3, IDEA-7 12' -> [3, 7, 12] (order kept, duplicates dropped)."""
    ids: list[int] = []
    for token in re.split(r"[,;\s]+", text or ""):
        token = token.strip()
        if not token:
            continue
        ref = parse_ref(token)
        if ref is None:
            raise ValueError(f"'{token}' is not an idea reference (write IDEA-12).")
        if ref not in ids:
            ids.append(ref)
    return ids


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ShareRow(Form):
    key = HiddenField()
    min = FloatField(validators=[Optional(), NumberRange(0, 100, "Between 0 and 100 %%.")])
    max = FloatField(validators=[Optional(), NumberRange(0, 100, "Between 0 and 100 %%.")])

    def validate_max(self, field):
        if field.data is not None and self.min.data is not None and self.min.data > field.data:
            raise ValidationError("The minimum is above the maximum.")


class ThemeRow(ShareRow):
    """Share of the selected cost for the ideas serving one objective (both bounds)."""


@dataclass
class FormOptions:
    """What the form offers: departments, objectives and pools as (id, name) pairs."""

    departments: list[tuple[int, str]] = field(default_factory=list)
    objectives: list[tuple[int, str]] = field(default_factory=list)
    pools: list[tuple[int, str]] = field(default_factory=list)
    campaigns: list[tuple[int, str]] = field(default_factory=list)


class ScenarioForm(PortalForm):
    name = StringField("Name", validators=[DataRequired(), TextLength(max=120)])
    description = TextAreaField("Description", validators=[Optional(), TextLength(max=5000)])
    periods = StringField(
        "Planning periods",
        validators=[DataRequired()],
        description="In order, separated by commas: 2027, 2028, 2029.",
    )
    budget = TextAreaField(
        "Budget per period",
        description="One line per period, e.g. '2027: 1.2M'. A period without a line has no "
        f"budget limit. Amounts: {AMOUNT_HINT}",
    )
    budget_mode = RadioField(
        "The budget is",
        choices=choices([(m.value, m.label) for m in BudgetMode]),
        default=BudgetMode.TOTAL.value,
    )
    capacity = TextAreaField(
        "Resource capacity per pool and period",
        description="One line per pool and period, e.g. 'Engineering 2027: 40'. No line: no "
        "limit. A point for decimals: 2.5, not 2,5.",
    )
    states = MultiCheckboxField(
        "Idea states", default=[s.value for s in workflow.DEFAULT_SCENARIO_CANDIDATES]
    )
    departments = MultiCheckboxField("Departments", coerce=int, description="None ticked: all.")
    objectives = MultiCheckboxField(
        "Serving objectives", coerce=int, description="None ticked: all."
    )
    campaign = SelectField(
        "Campaign",
        coerce=int,
        default=0,
        description="Only the campaign's ideas are candidates, within its budget envelope.",
    )
    shares = FieldList(FormField(ShareRow))
    themes = FieldList(FormField(ThemeRow))
    count_min = WholeNumberField("At least", validators=[Optional()])
    count_max = WholeNumberField("At most", validators=[Optional()])
    force_in = StringField("Force in", description="Idea references, e.g. IDEA-12, IDEA-40.")
    force_out = StringField("Force out", description="Idea references.")
    start_later_all = WholeNumberField(
        "Every idea may start later by",
        validators=[Optional()],
        high=MAX_PERIODS - 1,
        description="Periods; 0 or empty: ideas start as estimated.",
    )
    start_later = StringField(
        "These ideas may start later", description="e.g. IDEA-5: 1, IDEA-9: 2 (periods)."
    )
    apply_requires = BooleanField("'Requires' links apply", default=True)
    apply_excludes = BooleanField("'Excludes' links apply", default=True)
    apply_together = BooleanField("'Together with' links apply", default=True)
    discount_rate = NumberField(
        "Discount rate (% a year)",
        default=0,
        validators=[
            Optional(),
            NumberRange(0, rules.MAX_DISCOUNT_RATE * 100, "Between 0 and 100 %%."),
        ],
        description="Value in later periods counts less: v / (1 + r)^t. 0: every period alike.",
    )
    tail_years = WholeNumberField(
        "Count run costs past the horizon for (years)",
        default=0,
        validators=[Optional()],
        high=rules.MAX_TAIL_YEARS,
        description="The selected ideas' run cost after go-live in the years after the last "
        "period. 0: not counted.",
    )
    tail_budget = StringField(
        "Budget for that run cost (total over those years)",
        validators=[Optional(), TextLength(max=40)],
        description="A budget line of its own, e.g. 2M or 1.5M (a point for decimals). Empty: "
        "the run cost is only reported.",
    )
    objective = RadioField(
        "Maximize",
        choices=choices(
            [
                (ScenarioObjective.VALUE.value, "Strategic value"),
                (
                    ScenarioObjective.RISK_ADJUSTED.value,
                    "Value adjusted by risk (value × (1 − risk))",
                ),
            ]
        ),
        default=ScenarioObjective.VALUE.value,
    )
    backend = SelectField(
        "Solver", choices=choices([(b, b.upper()) for b in BACKENDS]), default="cbc"
    )
    time_limit = WholeNumberField(
        "Time limit (seconds)", default=60, validators=[InputRequired()], low=1, high=3600
    )

    def __init__(self, *args, options: FormOptions, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options
        self.states.choices = choices([(s.value, s.label) for s in workflow.SCENARIO_CANDIDATES])
        self.departments.choices = choices(options.departments)
        self.objectives.choices = choices(options.objectives)
        self.campaign.choices = choices([(0, "None: every idea")] + list(options.campaigns))
        self._parsed: dict = {}
        if not self.is_submitted():
            # One share row per department and one theme row per objective. A posted form
            # keeps its own rows (rebuilt rows would skip validation); unknown keys are
            # ignored by settings().
            self._align(self.shares, [i for i, _ in options.departments])
            self._align(self.themes, [i for i, _ in options.objectives])

    @staticmethod
    def _align(rows: FieldList, keys: list[int]) -> None:
        given = {str(row.form.key.data): row.data for row in rows}
        while len(rows):
            rows.pop_entry()
        for key in keys:
            data = given.get(str(key), {})
            rows.append_entry({"key": str(key), **{k: v for k, v in data.items() if k != "key"}})

    def label_of(self, kind: str, key) -> str:
        names = dict(getattr(self.options, kind))
        return names.get(whole_number(key), "?")

    def validate_periods(self, field):
        try:
            self._parsed["periods"] = parse_periods(field.data)
        except Problems as exc:
            self._parsed["periods"] = exc.good
            _report(field, exc.messages)

    def validate_states(self, field):
        if not field.data:
            raise ValidationError("Tick at least one state.")

    def validate_tail_budget(self, field):
        try:
            self._parsed["tail_budget"] = parse_amount(field.data) if field.data else None
        except ValueError as exc:
            raise ValidationError(f"{exc}.") from None

    def validate_budget(self, field):
        periods = self._parsed.get("periods") or []
        budget: dict[str, float] = {}
        problems: list[str] = []
        seen: set[str] = set()
        for n, key, value in _lines(field.data, problems):
            if periods and key not in periods:
                problems.append(f"Line {n}: '{key}' is not one of the planning periods.")
            elif key in seen:
                problems.append(f"Line {n}: a second budget for {key}.")
            seen.add(key)
            try:
                amount = parse_amount(value)
            except ValueError as exc:
                problems.append(f"Line {n}: {exc}.")
            else:
                budget.setdefault(key, amount)
        _report(field, problems)
        self._parsed["budget"] = budget

    def validate_capacity(self, field):
        periods = self._parsed.get("periods") or []
        pools = {name.lower(): pool_id for pool_id, name in self.options.pools}
        known = ", ".join(name for _, name in self.options.pools) or "none defined"
        capacity: dict[str, dict[str, float]] = {}
        problems: list[str] = []
        seen: set[tuple] = set()
        for n, key, value in _lines(field.data, problems):
            pool, _, period = key.rpartition(" ")
            pool_id = pools.get(pool.strip().lower())
            if pool_id is None:
                problems.append(
                    f"Line {n}: '{pool.strip() or key}' is not a resource pool (known: {known})."
                )
            if periods and period not in periods:
                problems.append(f"Line {n}: '{period}' is not one of the planning periods.")
            per = capacity.setdefault(str(pool_id), {})
            if pool_id is not None and (pool_id, period) in seen:
                problems.append(f"Line {n}: a second capacity for {pool.strip()} {period}.")
            seen.add((pool_id, period))
            try:
                amount = parse_amount(value)
            except ValueError as exc:
                problems.append(f"Line {n}: {exc}.")
            else:
                per.setdefault(period, amount)
        _report(field, problems)
        self._parsed["capacity"] = capacity

    def validate_count_max(self, field):
        low = self.count_min.data
        if field.data is not None and low is not None and low > field.data:
            raise ValidationError("'At least' is above 'at most'.")

    def validate_force_in(self, field):
        try:
            self._parsed["force_in"] = parse_refs(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def validate_force_out(self, field):
        try:
            self._parsed["force_out"] = parse_refs(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        both = set(self._parsed["force_out"]) & set(self._parsed.get("force_in", []))
        if both:
            refs = ", ".join(f"IDEA-{i}" for i in sorted(both))
            raise ValidationError(f"{refs} cannot be forced both in and out.")

    def validate_start_later(self, field):
        later: dict[str, int] = {}
        limit = max(len(self._parsed.get("periods") or []) - 1, 0)
        for token in re.split(r"[,;\n]+", field.data or ""):
            if not token.strip():
                continue
            ref, sep, shift = token.partition(":")
            idea_id, periods_later = parse_ref(ref), whole_number(shift, low=0)
            if idea_id is None or not sep or periods_later is None:
                raise ValidationError(f"'{token.strip()}': write it as 'IDEA-5: 1'.")
            if periods_later > limit:
                raise ValidationError(
                    f"IDEA-{idea_id} cannot start {periods_later} periods later with "
                    f"{limit + 1} planning period(s)."
                )
            later[str(idea_id)] = periods_later
        self._parsed["start_later"] = later

    def validate_start_later_all(self, field):
        limit = max(len(self._parsed.get("periods") or []) - 1, 0)
        if field.data and field.data > limit:
            raise ValidationError(f"At most {limit} with {limit + 1} planning period(s).")

    def validate_shares(self, field):
        lows = sum((row.form.min.data or 0) for row in field)
        if lows > 100:
            raise ValidationError(f"The department minimums add up to {lows:g} %, more than 100 %.")

    def settings(self) -> dict:
        """The Scenario column values (call after validate)."""
        p = self._parsed
        start_later = dict(p.get("start_later", {}))
        if self.start_later_all.data:
            start_later["*"] = self.start_later_all.data
        departments = {i for i, _ in self.options.departments}
        objectives = {i for i, _ in self.options.objectives}
        shares = {}
        for row in self.shares:
            key = whole_number(row.form.key.data)
            lo, hi = row.form.min.data, row.form.max.data
            if key in departments and (lo or (hi is not None and hi < 100)):
                shares[str(key)] = {
                    "min": (lo or 0) / 100,
                    "max": 1.0 if hi is None else hi / 100,
                }
        themes = {
            str(whole_number(row.form.key.data)): row.form.min.data / 100
            for row in self.themes
            if row.form.min.data and whole_number(row.form.key.data) in objectives
        }
        theme_max = {
            str(whole_number(row.form.key.data)): row.form.max.data / 100
            for row in self.themes
            if row.form.max.data is not None
            and row.form.max.data < 100
            and whole_number(row.form.key.data) in objectives
        }
        return {
            "name": self.name.data.strip(),
            "description": (self.description.data or "").strip(),
            "periods": p["periods"],
            "budget": p.get("budget", {}),
            "budget_mode": BudgetMode(self.budget_mode.data),
            "capacity": p.get("capacity", {}),
            "candidate_filter": {
                "states": list(self.states.data),
                "department_ids": sorted(self.departments.data or []),
                "objective_ids": sorted(self.objectives.data or []),
                **({"campaign_id": self.campaign.data} if self.campaign.data else {}),
            },
            "department_shares": shares,
            "theme_min_shares": themes,
            "theme_max_shares": theme_max,
            "discount_rate": (self.discount_rate.data or 0.0) / 100,
            "tail_years": self.tail_years.data or 0,
            "tail_budget": p.get("tail_budget") if self.tail_years.data else None,
            "count_min": self.count_min.data,
            "count_max": self.count_max.data,
            "force_in": p.get("force_in", []),
            "force_out": p.get("force_out", []),
            "start_later": start_later,
            "apply_requires": bool(self.apply_requires.data),
            "apply_excludes": bool(self.apply_excludes.data),
            "apply_together": bool(self.apply_together.data),
            "objective": ScenarioObjective(self.objective.data),
            "backend": self.backend.data,
            "time_limit": self.time_limit.data,
        }


def form_data(scenario, options: FormOptions) -> dict:
    """A scenario's settings as the form shows them (for editing and cloning)."""
    pools = dict(options.pools)
    filters = scenario.candidate_filter or {}
    start_later = dict(scenario.start_later or {})
    everyone = start_later.pop("*", None)
    shares = scenario.department_shares or {}
    themes = scenario.theme_min_shares or {}
    theme_max = scenario.theme_max_shares or {}

    def pct(x):
        return None if x is None else round(x * 100, 4)

    return {
        "name": scenario.name,
        "description": scenario.description,
        "periods": ", ".join(scenario.periods or []),
        "budget": "\n".join(f"{p}: {_plain(v)}" for p, v in (scenario.budget or {}).items()),
        "capacity": "\n".join(
            f"{pools.get(int(pool_id), '?')} {p}: {_plain(v)}"
            for pool_id, per in (scenario.capacity or {}).items()
            for p, v in per.items()
        ),
        "states": filters.get("states") or [s.value for s in workflow.DEFAULT_SCENARIO_CANDIDATES],
        "departments": filters.get("department_ids") or [],
        "objectives": filters.get("objective_ids") or [],
        "campaign": filters.get("campaign_id") or 0,
        "shares": [
            {
                "key": str(i),
                "min": pct(shares.get(str(i), {}).get("min")) or None,
                "max": pct(shares[str(i)]["max"])
                if str(i) in shares and shares[str(i)].get("max", 1) < 1
                else None,
            }
            for i, _ in options.departments
        ],
        "themes": [
            {"key": str(i), "min": pct(themes.get(str(i))), "max": pct(theme_max.get(str(i)))}
            for i, _ in options.objectives
        ],
        "discount_rate": pct(scenario.discount_rate or 0.0),
        "tail_years": scenario.tail_years or 0,
        "tail_budget": "" if scenario.tail_budget is None else _plain(scenario.tail_budget),
        "count_min": scenario.count_min,
        "count_max": scenario.count_max,
        "force_in": ", ".join(f"IDEA-{i}" for i in scenario.force_in or []),
        "force_out": ", ".join(f"IDEA-{i}" for i in scenario.force_out or []),
        "start_later_all": everyone,
        "start_later": ", ".join(f"IDEA-{i}: {k}" for i, k in start_later.items()),
        "apply_requires": scenario.apply_requires,
        "apply_excludes": scenario.apply_excludes,
        "apply_together": scenario.apply_together,
        "objective": scenario.objective.value,
        "budget_mode": scenario.budget_mode.value,
        "backend": scenario.backend,
        "time_limit": scenario.time_limit,
    }


def _plain(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,}"


# Where each setting lives on the scenario form (anchors), for links from messages.
SETTING_ANCHORS = {
    "periods": "field-periods",
    "budget": "field-budget",
    "capacity": "field-capacity",
    "candidates": "field-candidates",
    "shares": "field-shares",
    "themes": "field-themes",
    "count": "field-count",
    "force": "field-force",
    "start_later": "field-start-later",
    "links": "field-links",
    "solver": "field-solver",
    "time": "field-time",
}
