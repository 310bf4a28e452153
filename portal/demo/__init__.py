"""Demo data: a mid-size company's ideas portal after about fourteen months of use.

`load_demo()` reads `data.yaml` (departments, people, objectives, pools, 62 ideas and the
state each reached, links, touchpoints, the next portfolio plan) and replays that history
through the portal's own operations, each done by the person who would have done it. After
each operation the rows it wrote are back-dated to their moment in the timeline.

Deterministic: one `random.Random(SEED)`, and the timeline is laid out around the data file's
fixed "today"; loading only moves every date by whole weeks towards the real date.
"""

import random
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import yaml
from flask import current_app, has_request_context
from werkzeug.security import generate_password_hash

from portal import workflow
from portal.campaigns import service as campaigns
from portal.delivery import service as delivery
from portal.demo.history import History
from portal.extensions import db
from portal.ideas import service as ideas
from portal.models import (
    BudgetMode,
    Department,
    Estimate,
    Idea,
    IdeaStatus,
    LinkKind,
    Notification,
    Role,
    ScenarioObjective,
    TouchpointKind,
    User,
    utcnow,
)
from portal.portfolio import service as portfolio
from portal.review import service as review
from portal.review.estimates import save_estimate
from portal.review.valuation import active_weights, strategic_value
from portal.strategy import objectives as setup

DATA = yaml.safe_load((Path(__file__).parent / "data.yaml").read_text(encoding="utf-8"))
DEMO_PASSWORD = DATA["password"]
DEMO_LOGINS = [(login["email"], login["role"], login["try"]) for login in DATA["logins"]]
PERIODS, PAST_PERIOD = tuple(DATA["periods"]), DATA["past_period"]
SCENARIO_NAME, SCENARIO_BUDGET = DATA["scenario"]["name"], DATA["scenario"]["budget"]
S = IdeaStatus
# Any seed makes the same demo on every load; under this one the budget binds, so the 20%
# leaner what-if has to give something up.
SEED = 1


def load_demo(today: datetime | None = None) -> dict:
    """Fill an empty database with the demo company and commit; returns counts of what was made.

    `today` (default: now) only moves the dates; everything else is the same on every load.
    """
    if db.session.scalar(sa.select(sa.func.count(User.id))):
        raise RuntimeError("Demo data needs an empty database.")
    try:
        with _loading():
            summary = _Loader(today or utcnow()).run()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return summary


class _Loader:
    """One load of the demo: the people, the ideas' histories and the portfolio plan."""

    def __init__(self, today: datetime) -> None:
        self.rng = random.Random(SEED)
        self.fresh = utcnow()  # rows dated from here on were just written: back-date them
        anchor = datetime.fromisoformat(DATA["today"])
        weeks = (min(today, self.fresh) - anchor) // timedelta(weeks=1)
        self.now = anchor + timedelta(weeks=weeks)
        self.ideas: dict[str, Idea] = {}
        self.times: dict[str, dict[str, datetime]] = {}
        self.estimates: dict[str, Estimate] = {}
        self.written: set[sa.Table] = set()  # tables the last operation added rows to
        self.history = History(DATA, self.rng, self.now)

    def run(self) -> dict:
        """Replay everything; returns the rows per kind."""
        session = db.session()
        sa.event.listen(session, "pending_to_persistent", self._written)
        try:
            self._organisation()
            self._campaigns()
            for spec in DATA["ideas"]:
                self._idea(spec)
            self._links_and_touchpoints()
            self._finish()
            self._portfolio()
            self._campaign_outcomes()
        finally:
            sa.event.remove(session, "pending_to_persistent", self._written)
        count, tables = sa.func.count(), db.metadata.tables
        return {
            k: db.session.scalar(sa.select(count).select_from(tables[t]))
            for k, t in DATA["summary"].items()
        }

    def _written(self, session, instance) -> None:
        """Session hook: note the table of each row an operation inserts."""
        self.written.add(instance.__table__)

    def _stamp(self, when: datetime) -> None:
        """Date what the last operation wrote (the rows dated since loading began)."""
        db.session.flush()
        for table in self.written:
            column = table.c.get("created_at", table.c.get("recorded_at"))
            if column is not None:
                update = sa.update(table).where(column >= self.fresh).values({column: when})
                db.session.execute(update)
        # A transition stamps since when the idea waits (workflow.apply) on a row it updates.
        waiting = sa.update(Idea).where(Idea.waiting_since >= self.fresh)
        db.session.execute(waiting.values(waiting_since=when))
        self.written.clear()

    def _organisation(self) -> None:
        """Departments and people (one password hash: loading stays fast), objectives, pools."""
        start = self.now - timedelta(days=DATA["timeline"]["max_age"] + 20)
        self.depts = {}
        for d in DATA["departments"]:
            email = d["leader"].lower().replace(" ", ".") + "@" + DATA["domain"]
            self.depts[d["name"]] = Department(
                name=d["name"], leader_name=d["leader"], leader_email=email, created_at=start
            )
        password_hash = generate_password_hash(DEMO_PASSWORD)
        self.users = {}
        for key, p in DATA["people"].items():
            self.users[key] = User(
                email=f"{p['email']}@{DATA['domain']}",
                name=p["name"],
                role=Role(p["role"]),
                department=self.depts[p["department"]],
                covered_departments=[self.depts[d] for d in p.get("covers", ())],
                password_hash=password_hash,
                created_at=start + timedelta(hours=1),
            )
        for key, p in DATA["people"].items():
            for name in p.get("leads", ()):
                department, leader = self.depts[name], self.users[key]
                department.leader = leader
                department.leader_name, department.leader_email = leader.name, leader.email
        db.session.add_all([*self.depts.values(), *self.users.values()])
        pm = self.users["pm"]
        self.objectives = {
            key: setup.save_objective(pm, None, o["name"], o["description"], o["weight"])
            for key, o in DATA["objectives"].items()
        }
        self.pools = {
            key: setup.save_pool(
                pm, None, p["name"], p["unit"], dict(zip(PERIODS, p["capacity"], strict=True))
            )
            for key, p in DATA["pools"].items()
        }
        self._stamp(start)
        self.weights = active_weights()

    def _brm(self, department: str) -> User:
        """The BRM covering the department."""
        return next(
            self.users[k] for k in ("brm", "brm2") if department in DATA["people"][k]["covers"]
        )

    def _colleagues(self, spec: dict) -> list[User]:
        """Who votes, comments and follows: employees and the admin, never the submitter."""
        return [u for k, u in self.users.items() if k not in ("pm", "brm", "brm2", spec["by"])]

    def _idea(self, spec: dict) -> None:
        """Create the idea, take it through its steps, then what happened around it."""
        state, qa = S(spec["state"]), spec.get("qa", {})
        submitter, brm, pm = self.users[spec["by"]], self._brm(spec["department"]), self.users["pm"]
        steps = self.history.steps(spec)
        origin = self.times[spec["dup_of"]]["submit"] if "dup_of" in spec else None
        times = self.history.times(spec, steps, origin)
        closed = state in workflow.CLOSED
        open_until = times[-1] if closed else self.now - timedelta(minutes=30)
        data = ideas.IdeaInput(
            title=spec["title"],
            problem=spec["problem"],
            proposal=spec["proposal"],
            expected_benefit=spec["benefit"],
            department_id=self.depts[spec["department"]].id,
            objective_ids=[self.objectives[k].id for k in spec["objectives"]],
            campaign_id=self.campaigns[spec["campaign"]].id if "campaign" in spec else None,
            answers=spec.get("answers", {}),
        )
        idea = self.ideas[spec["key"]] = ideas.create_idea(submitter, data)
        self._stamp(times[0])
        at, decided = {"created": times[0]}, None
        for step, when in zip(steps, times[1:], strict=True):
            if step == "start_review":
                review.claim(brm, idea)
            elif step == "ask_info":
                ideas.transition(brm, idea, step, qa.get("question", spec.get("reason")))
            elif step == "answer":
                ideas.transition(submitter, idea, step, qa["answer"])
            elif step == "mark_estimated":
                self._estimate(spec, idea, brm, when)
            elif step == "mark_duplicate":
                review.merge(brm, idea, self.ideas[spec["dup_of"]], DATA["merge_note"])
            elif step in ("start_delivery", "deliver"):
                delivery.change_status(pm, idea, step)
            else:
                actor = {"submit": submitter, "withdraw": submitter, "select": pm}.get(step, brm)
                reason = spec.get("reason") if step in ("reject", "withdraw", "defer") else None
                workflow.apply(idea, step, actor, reason)
            self._stamp(when)
            at[step] = when
            decided = when if idea.status in workflow.DECIDED else decided
            if step == "submit":
                later = min(times[2] if len(times) > 2 else self.now, self.now)
                self._crowd(spec, idea, when, later, open_until)
        self.times[spec["key"]] = at
        idea.created_at, idea.submitted_at, idea.decided_at = times[0], at.get("submit"), decided
        late = DATA["late_comments"].get(state.value)
        if late and self.rng.random() < 0.7:  # thanks for a delivery, a question about timing
            author = submitter if state == S.REJECTED else self.rng.choice(self._colleagues(spec))
            text = self.rng.choice(DATA["comments"][late]).format(dept=author.department.name)
            ideas.add_comment(author, idea, text)
            self._stamp(self.history.between(times[-1], self.now - timedelta(hours=2)))
        if state == S.DELIVERED:
            self._delivery_results(idea, spec["key"], at["deliver"])
        elif state == S.IN_DELIVERY:  # spend to date this year
            cost = next(c for c in self.estimates[spec["key"]].costs if c.period == PAST_PERIOD)
            share = self.rng.uniform(0.55, 0.9)
            capex, opex = round(cost.capex * share, -3), round(cost.opex * share, -3)
            delivery.record_actual_cost(pm, idea, PAST_PERIOD, capex, opex)
            self._stamp(self.now - timedelta(days=self.rng.randint(5, 20)))

    def _crowd(self, spec: dict, idea: Idea, submitted, later, until) -> None:
        """Colleagues follow it soon after it is submitted, and vote and comment while open."""
        rng, state, people = self.rng, spec["state"], self._colleagues(spec)
        if state == S.DUPLICATE:  # what it had would have moved to the surviving idea
            return
        most = DATA["followers"].get(state, DATA["followers"]["other"])
        for user in rng.sample(people, rng.randint(0, most)):
            ideas.toggle_follow(user, idea)
            self._stamp(self.history.between(submitted, later))
        for user in rng.sample(people, rng.randint(*DATA["votes"][state])):
            ideas.set_vote(user, idea, True)
            self._stamp(self.history.between(submitted, until))
        texts = rng.sample(DATA["comments"]["general"], len(DATA["comments"]["general"]))
        for user in rng.sample(people, rng.choice([0, 1, 1, 2, 2, 3, 4])):
            ideas.add_comment(user, idea, texts.pop().format(dept=user.department.name))
            self._stamp(self.history.between(submitted, until))

    def _estimate(self, spec: dict, idea: Idea, brm: User, when: datetime) -> None:
        """Size the idea and mark it estimated, as its BRM does on the estimate page."""
        objective_ids = {key: o.id for key, o in self.objectives.items()}
        pool_ids = {key: p.id for key, p in self.pools.items()}
        data = self.history.estimate(spec, objective_ids, pool_ids)
        self.estimates[spec["key"]] = save_estimate(brm, idea, data, 0, mark_estimated=True)
        self._stamp(when)
        if self.rng.random() < 0.5:
            leader = self.depts[spec["department"]].leader_name
            ideas.add_comment(brm, idea, f"Estimate reviewed with {leader}. {data.notes}")
            self._stamp(min(when + timedelta(minutes=10), self.now))

    def _delivery_results(self, idea: Idea, key: str, delivered: datetime) -> None:
        """Actual costs a few weeks after delivery, then the value measured twice."""
        pm, estimate = self.users["pm"], self.estimates[key]
        expected = strategic_value(estimate, self.weights) * estimate.value_likely
        costs, values = self.history.delivery(estimate.costs, expected, delivered)
        for when, period, capex, opex in costs:
            delivery.record_actual_cost(pm, idea, period, capex, opex)
            self._stamp(when)
        for when, as_of, value, note in values:
            delivery.record_realized_value(pm, idea, value, as_of, note, today=self.now.date())
            self._stamp(when)

    def _links_and_touchpoints(self) -> None:
        """The BRMs link related ideas and log their meetings with the departments."""
        for link in DATA["links"]:
            a, b = self.ideas[link["source"]], self.ideas[link["target"]]
            kind = LinkKind(link["kind"])
            review.add_link(self._brm(a.department.name), a, b, kind, link["note"])
            since = max(
                self.times[link["source"]]["created"], self.times[link["target"]]["created"]
            )
            self._stamp(self.history.between(since, self.now - timedelta(days=1)))
        for t in DATA["touchpoints"]:
            held = self.history.office_hours(self.now - timedelta(days=t["days_ago"]))
            brm, department = self.users[t["brm"]], self.depts[t["department"]]
            ids = [self.ideas[k].id for k in t["ideas"]]
            review.log_touchpoint(
                brm, department, held.date(), TouchpointKind(t["kind"]), t["notes"], ids
            )
            self._stamp(held + timedelta(hours=2))
        leaders = [u for u in self.users.values() if u.role == Role.LEADER]
        for key in DATA["endorsements"]:
            idea = self.ideas[key]
            leader = next(u for u in leaders if u.leads(idea.department_id))
            ideas.set_endorsement(leader, idea, True)
            when = self.now - timedelta(days=3)
            idea.endorsed_at = when
            self._stamp(when)

    def _finish(self) -> None:
        """Read the older notifications, and date each idea's last change."""
        db.session.flush()
        db.session.expire_all()  # the back-dating went past the objects in the session
        old = sa.select(Notification).where(Notification.created_at < self.now - timedelta(days=10))
        for note in db.session.scalars(old.order_by(Notification.id)):
            note.read_at = note.created_at + timedelta(hours=self.rng.randint(1, 72))
        for key, idea in self.ideas.items():
            idea.updated_at = max(self.times[key].values())
        db.session.flush()

    def _portfolio(self) -> None:
        """The next plan: a scenario and a leaner what-if, each run inline, neither adopted."""
        plan, pm = DATA["scenario"], self.users["pm"]
        settings = {
            **plan["settings"],
            **plan["solver"],
            "name": plan["name"],
            "description": plan["description"],
            "objective": ScenarioObjective(plan["settings"]["objective"]),
            "budget_mode": BudgetMode(plan["settings"]["budget_mode"]),
            "periods": list(PERIODS),
            "budget": dict(plan["budget"]),
            "capacity": {
                str(self.pools[k].id): dict(zip(PERIODS, p["capacity"], strict=True))
                for k, p in DATA["pools"].items()
            },
            "department_shares": {str(self.depts[n].id): s for n, s in plan["shares"].items()},
        }
        less = plan["leaner_by"]
        leaner_settings = {
            **settings,
            "name": f"{plan['name']}, budget -{less:.0%}",
            "description": plan["leaner_description"].format(share=f"{less:.0%}"),
            "budget": {p: v * (1 - less) for p, v in plan["budget"].items()},
        }
        self._current_plan(settings)
        # Worked out over the last two days, after the current plan was adopted.
        made = [self.now - timedelta(days=2, hours=3), self.now - timedelta(days=1, hours=5)]
        base = portfolio.save_scenario(None, settings, pm)
        self._run(base, made[0])
        leaner = portfolio.save_scenario(portfolio.clone_scenario(base, pm), leaner_settings, pm)
        self._run(leaner, made[1])

    def _campaigns(self) -> None:
        """The campaigns, published and open (answers go in while a campaign is open); the
        decided one is closed and decided after the ideas, in `_campaign_outcomes`."""
        self.campaigns = {}
        today = utcnow().date()
        for spec in DATA["campaigns"]:
            opened = self.now - timedelta(days=spec["opened_days_ago"])
            data = campaigns.CampaignInput(
                title=spec["title"],
                question=spec["question"],
                context=spec["context"],
                opens_on=opened.date(),
                # From the real today, so the same notices are due on every load; the decided
                # one takes its answers first and is closed in `_campaign_outcomes`.
                closes_on=today + timedelta(days=spec.get("closes_in_days", 30)),
                budget_envelope=spec.get("envelope"),
                department_ids=[self.depts[n].id for n in spec["departments"]],
                objective_ids=[self.objectives[k].id for k in spec["objectives"]],
                fields_text=spec["fields"],
            )
            campaign = campaigns.save_campaign(None, data, self.users["pm"])
            self._stamp(opened - timedelta(days=3))
            campaigns.change_state(campaign, "publish", self.users["pm"])
            campaign.published_at = opened - timedelta(days=1)
            self._stamp(opened)
            self.campaigns[spec["key"]] = campaign

    def _campaign_outcomes(self) -> None:
        """The sponsor's updates; the decided campaign closed, with a run over its answers
        within its envelope (not adopted: the ideas' histories already hold the outcome)."""
        pm = self.users["pm"]
        for spec in DATA["campaigns"]:
            campaign = self.campaigns[spec["key"]]
            if "decided_days_ago" in spec:
                closed = self.now - timedelta(days=spec["closed_days_ago"])
                decided = self.now - timedelta(days=spec["decided_days_ago"])
                campaign.closes_on = closed.date()
                settings = {
                    **DATA["scenario"]["settings"],
                    **DATA["scenario"]["solver"],
                    "name": f"Campaign: {spec['title']}",
                    "description": f"The answers to “{spec['question']}” within the envelope.",
                    "objective": ScenarioObjective.VALUE,
                    "budget_mode": BudgetMode.TOTAL,  # the envelope is the whole budget
                    "periods": list(PERIODS),
                    "budget": dict(spec["budget"]),
                    "capacity": {},
                    "department_shares": {},
                    "candidate_filter": {
                        **DATA["scenario"]["settings"]["candidate_filter"],
                        "campaign_id": campaign.id,
                    },
                }
                scenario = portfolio.save_scenario(None, settings, pm)
                self._run(scenario, decided - timedelta(days=2))
                campaigns.post_update(campaign, spec["update"], pm)
                self._stamp(decided - timedelta(days=1))
                campaigns.change_state(campaign, "decide", pm)
                campaign.decided_at = decided
                self._stamp(decided)
            else:
                campaigns.post_update(campaign, spec["update"], pm)
                self._stamp(self.now - timedelta(days=2))

    def _current_plan(self, settings: dict) -> None:
        """The plan adopted at the last round: the selected ideas over the next three years,
        run and adopted (they stay selected), so the plan's roadmap shows what lands when."""
        plan, pm = DATA["current_plan"], self.users["pm"]
        current = {
            **settings,
            "name": plan["name"],
            "description": plan["description"],
            "budget": dict(plan["budget"]),
            "capacity": {},
            "department_shares": {},
            "candidate_filter": {"states": ["selected"], "department_ids": [], "objective_ids": []},
            "budget_mode": BudgetMode.TOTAL,
        }
        scenario = portfolio.save_scenario(None, current, pm)
        when = self.now - timedelta(days=plan["days_ago"])
        run = self._run(scenario, when)
        portfolio.adopt_run(run, pm)
        self._stamp(when + timedelta(hours=1))
        run.adopted_at = when + timedelta(hours=1)

    def _run(self, scenario, when: datetime):
        """Run the scenario as saved at `when` (solved inline: see _loading); as long as it took."""
        run = portfolio.start_run(scenario, self.users["pm"])
        took = (run.finished_at or run.created_at) - run.created_at
        self._stamp(when)
        scenario.created_at = scenario.updated_at = when
        run.created_at = run.started_at = when + timedelta(minutes=20)
        run.finished_at = run.created_at + took
        return run


@contextmanager
def _loading():
    """No e-mail (even with SMTP configured), runs solved inline with fixed settings, and a
    request context for the operations' audit trail when the CLI has none."""
    config, missing = current_app.config, object()
    saved = {key: config.get(key, missing) for key in DATA["scenario"]["run_config"]}
    config.update(DATA["scenario"]["run_config"])
    mailer = current_app.extensions.pop("converge_mailer", None)
    try:
        if has_request_context():
            yield
        else:
            with current_app.test_request_context():
                yield
    finally:
        if mailer is not None:
            current_app.extensions["converge_mailer"] = mailer
        for key, value in saved.items():
            if value is missing:
                config.pop(key, None)
            else:
                config[key] = value
