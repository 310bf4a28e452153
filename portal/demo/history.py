"""When things happened in the demo, and what its estimates say.

Pure: the data file, one random generator and the demo's "now" decide everything; nothing
here reads or writes the database. The loader replays the result through the operations.
"""

import random
from datetime import datetime, timedelta

from portal import workflow
from portal.models import Confidence, IdeaStatus
from portal.review.estimates import EstimateInput

S = IdeaStatus


class History:
    """Timelines and estimate figures for the demo's ideas, drawn from `rng`."""

    def __init__(self, data: dict, rng: random.Random, now: datetime) -> None:
        self.data, self.rng, self.now = data, rng, now
        self.periods, self.past_period = tuple(data["periods"]), data["past_period"]

    def between(self, a: datetime, b: datetime) -> datetime:
        """A moment between `a` and `b`."""
        return a + (b - a) * self.rng.random()

    def office_hours(self, t: datetime) -> datetime:
        """A weekday time between 8:00 and 17:00 on or before `t`'s day, before now."""
        while t.weekday() >= 5:
            t -= timedelta(days=1)
        minutes = 8 * 60 + self.rng.randint(0, 9 * 60)
        t = t.replace(hour=minutes // 60, minute=minutes % 60)
        return min(t, self.now - timedelta(minutes=5))

    def steps(self, spec: dict) -> list[str]:
        """The transitions that take a new draft to the idea's final state."""
        state, paths = spec["state"], self.data["paths"]
        steps = list(paths.get(f"{state}/{spec.get('via')}", paths[state]))
        if "qa" in spec and state not in (S.NEEDS_INFO, S.DUPLICATE):
            steps[2:2] = ["ask_info", "answer"]  # a question answered during the review
        return steps

    def times(self, spec: dict, steps: list[str], origin: datetime | None) -> list[datetime]:
        """Times for [created, *steps], oldest first, before now.

        One moment is drawn and the gaps between steps are laid out around it: the final
        step's age by state, or the portfolio round that selected the idea, or (for a
        duplicate, created first) some days after the `origin` idea was submitted.
        """
        rng, line, state = self.rng, self.data["timeline"], S(spec["state"])
        gaps = [rng.uniform(*line["gaps"][s]) for s in steps]
        if "select" in steps:
            k, floor = steps.index("select") + 1, 3
            late = "B" if state in (S.IN_DELIVERY, S.DEFERRED) else "C"
            age = line["rounds"]["A" if state == S.DELIVERED else late] + rng.uniform(0, 0.1)
        elif origin is not None:
            k, floor = 0, 0.2
            origin_age = (self.now - origin) / timedelta(days=1)
            age = origin_age - min(rng.uniform(2, 6), 0.3 * origin_age)
        else:
            k, floor = len(steps), 0
            age = rng.uniform(*line["end_age"][state.value])
        before, after = gaps[:k], gaps[k:]
        if sum(after) > age - floor:  # squeeze what follows the moment in before now
            after = [g * (age - floor) / sum(after) for g in after]
        ages = [age + sum(before[j:]) for j in range(k)] + [age]
        ages += [age - sum(after[: j + 1]) for j in range(len(after))]
        if ages[0] > line["max_age"]:  # squeeze the oldest histories into fourteen months
            scale = (line["max_age"] - ages[-1]) / (ages[0] - ages[-1])
            ages = [ages[-1] + (a - ages[-1]) * scale for a in ages]
        times = [self.office_hours(self.now - timedelta(days=a)) for a in ages]
        for j in range(1, len(times)):  # strictly in order
            if times[j] <= times[j - 1]:
                times[j] = times[j - 1] + timedelta(minutes=rng.randint(15, 90))
        if times[-1] > self.now:
            times = [t - (times[-1] - self.now) - timedelta(minutes=5) for t in times]
        return times

    def delivery(self, costs, expected: float, delivered: datetime) -> tuple[list, list]:
        """Actual costs per estimated period, (when, period, capex, opex), recorded some weeks
        after delivery; and the value measured at 60 and 150 days, (when, as of, value, note),
        while it is in the past: 65% to 125% of the `expected` strategic value."""
        rng = self.rng
        recorded = min(delivered + timedelta(days=rng.randint(7, 30)), self.now)
        overrun = rng.uniform(0.85, 1.3)
        actual = []
        for cost in costs:
            opex = round(cost.opex * rng.uniform(0.9, 1.15), -3)
            actual.append((recorded, cost.period, round(cost.capex * overrun, -3), opex))
        factor, values = rng.uniform(0.65, 1.1), []
        for days, note in self.data["measurements"]:
            as_of = delivered + timedelta(days=days)
            if as_of > self.now - timedelta(days=3):
                break
            factor = min(1.25, factor * rng.uniform(1.0, 1.2)) if days > 60 else factor
            when = min(as_of + timedelta(days=2), self.now)
            values.append((when, as_of.date(), round(expected * factor, 1), note))
        return actual, values

    def estimate(self, spec: dict, objective_ids: dict, pool_ids: dict) -> EstimateInput:
        """Figures a BRM would enter for the idea, scaled by its size (S, M or L)."""
        rng, size, state, sizes = self.rng, spec.get("size", "M"), spec["state"], self.data["sizes"]
        periods_all = self.periods
        risk = round(rng.uniform(*sizes["risk"][size]), 2)
        note = rng.choice(self.data["estimate_notes"]).format(dept=spec["department"])
        impacts = {}
        for key, objective_id in objective_ids.items():
            impact = rng.choice([0, 0, 0, 1])
            if key in spec["objectives"]:
                impact = rng.choice([2, 3, 3, 4] if size != "S" else [2, 2, 3])
                impact = max(impact, 3) if key == spec["objectives"][0] else impact
            impacts[objective_id] = impact
        if state in workflow.DELIVERY_STARTED:  # being delivered this year or done
            periods = [self.past_period] + ([periods_all[0]] if state == S.IN_DELIVERY else [])
        else:
            span = {"S": 1, "M": rng.choice([1, 2]), "L": rng.choice([2, 3])}[size]
            first = periods_all.index(spec.get("start", periods_all[0]))
            periods = list(periods_all[first : first + span])
        capex_total, opex = (rng.uniform(*sizes[k][size]) for k in ("capex", "opex"))
        shares = [[1.0], [0.6, 0.4], [0.45, 0.35, 0.2]][len(periods) - 1]
        after = periods_all.index(periods[-1]) + 1 if periods[-1] in periods_all else 0
        run_on = [periods_all[after]] if state != S.DELIVERED and after < len(periods_all) else []
        costs = {}
        for k, period in enumerate(periods + run_on):  # licences run on after go-live
            capex = min(600.0, capex_total * shares[k]) if k < len(periods) else 0.0
            costs[period] = (round(capex) * 1000.0, round(opex * (0.5 if k else 1.0)) * 1000.0)
        efforts = {}
        for j, letter in enumerate(spec.get("pools", "a")):  # the first pool does most
            for k, period in enumerate(periods):
                fte = rng.uniform(*sizes["fte"][size]) * (0.5 if j else 1.0) * (0.6 if k else 1.0)
                efforts[(pool_ids[letter], period)] = max(0.5, round(fte * 2) / 2)
        low, high = round(rng.uniform(0.55, 0.85), 2), round(rng.uniform(1.15, 1.6), 2)
        confidence = "high" if risk < 0.2 else "medium" if risk < 0.4 else "low"
        timed = self.data.get("over_time", {}).get(spec["key"], {})
        for key, impact in timed.get("hinders", {}).items():
            impacts[objective_ids[key]] = impact
        return EstimateInput(
            impacts,
            low,
            1.0,
            high,
            risk,
            Confidence(confidence),
            f"{note} {timed['note']}" if timed else note,
            costs,
            efforts,
            value_profile={str(p): float(w) for p, w in timed.get("value_over_time", {}).items()},
            run_cost_per_year=float(timed.get("run_cost_per_year", 0.0)),
            lifetime_years=int(timed.get("lifetime_years", 0)),
        )
