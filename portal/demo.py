"""Demo data: a mid-size company's ideas portal after about fourteen months of use.

`load_demo()` fills an empty database with departments, people, strategic objectives,
resource pools and 62 ideas spread over every workflow state, with estimates, votes,
comments, followers, links, touchpoints and delivery results, and the next portfolio plan:
a scenario and a leaner what-if, each with a finished (not adopted) optimizer run. Every
status change goes through `portal.workflow.apply` with the person who would really have
made it; afterwards the rows and their audit trail are back-dated so each idea's history
reads in order.

Everything is deterministic (one `random.Random(42)`); only the dates move with the day
the demo is loaded, so the review queue always looks current.
"""

import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context
from werkzeug.security import generate_password_hash

from portal import workflow
from portal.audit import record
from portal.extensions import db
from portal.ideas.service import IdeaInput, add_comment, create_idea
from portal.models import (
    ActualCost,
    AuditEvent,
    Comment,
    CommentKind,
    Confidence,
    Department,
    Estimate,
    EstimateCost,
    EstimateEffort,
    EstimateImpact,
    Follow,
    Idea,
    IdeaLink,
    IdeaStatus,
    LinkKind,
    Notification,
    PoolCapacity,
    RealizedValue,
    ResourcePool,
    Role,
    Run,
    Scenario,
    ScenarioObjective,
    StrategicObjective,
    Touchpoint,
    TouchpointKind,
    User,
    Vote,
    utcnow,
)
from portal.review.valuation import active_weights, strategic_value

DEMO_PASSWORD = "converge-demo"
DOMAIN = "converge.example"

# (e-mail, role, what to try) for the README and the login page.
DEMO_LOGINS = [
    (
        f"admin@{DOMAIN}",
        "admin",
        "Manage users, roles, departments and which BRM covers which department.",
    ),
    (
        f"pm@{DOMAIN}",
        "portfolio_manager",
        "Weigh the strategic objectives, run portfolio scenarios over the 14 approved or "
        "deferred candidates (the FY2027-2029 scenario and a 20% leaner what-if have finished "
        "runs to compare), record delivery costs and realized value.",
    ),
    (
        f"brm@{DOMAIN}",
        "brm",
        "Review queue for Finance, Sales and Customer Service: claim submitted ideas, "
        "estimate, approve or reject, ask questions; see the touchpoints log.",
    ),
    (
        f"brm2@{DOMAIN}",
        "brm",
        "The same for Human Resources, Operations, Legal & Compliance, Marketing and "
        "Procurement, including three merged duplicates.",
    ),
    (
        f"employee@{DOMAIN}",
        "employee",
        "Jamie Chen (Finance): submit a draft, answer the reviewer's question on the "
        "single sign-on idea, vote, comment and follow ideas.",
    ),
]

PERIODS = ("2027", "2028", "2029")  # the planning horizon (pool capacities)
PAST_PERIOD = "2026"  # the current year: what is delivered or being delivered now

# ------------------------------------------------------------------ organisation

DEPARTMENTS = [
    ("Finance", "Catherine Hale"),
    ("Human Resources", "Daniel Osei"),
    ("Sales", "Marta Kowalski"),
    ("Operations", "Victor Alvarez"),
    ("Customer Service", "Nadia Rahman"),
    ("Legal & Compliance", "Jonathan Pryce"),
    ("Marketing", "Elena Rossi"),
    ("Procurement", "Samuel Greene"),
]

OBJECTIVES = {
    "revenue": (
        "Grow revenue",
        "Win and keep profitable customers: new sales, cross-sell and retention of key accounts.",
        0.30,
    ),
    "cost": (
        "Reduce operating cost",
        "Take manual work, errors, rework and waste out of everyday processes.",
        0.25,
    ),
    "cx": (
        "Improve customer experience",
        "Make it easier and faster for customers to buy from us, get help and stay informed.",
        0.20,
    ),
    "reg": (
        "Meet regulatory obligations",
        "Comply with laws and regulations on time, and be able to prove it to auditors and "
        "regulators.",
        0.15,
    ),
    "people": (
        "Empower employees",
        "Give employees the tools, information and skills to do their best work, and keep "
        "good people.",
        0.10,
    ),
}

# key: (e-mail, name, role, department, departments covered)
PEOPLE = {
    "admin": (f"admin@{DOMAIN}", "Dana Whitfield", Role.ADMIN, "Operations", ()),
    "pm": (f"pm@{DOMAIN}", "Priya Raman", Role.PORTFOLIO_MANAGER, "Finance", ()),
    "brm": (
        f"brm@{DOMAIN}",
        "Marcus Ndlovu",
        Role.BRM,
        "Operations",
        ("Finance", "Sales", "Customer Service"),
    ),
    "brm2": (
        f"brm2@{DOMAIN}",
        "Sofia Lindqvist",
        Role.BRM,
        "Operations",
        ("Human Resources", "Operations", "Legal & Compliance", "Marketing", "Procurement"),
    ),
    "jamie": (f"employee@{DOMAIN}", "Jamie Chen", Role.EMPLOYEE, "Finance", ()),
    "olivia": (f"olivia.brennan@{DOMAIN}", "Olivia Brennan", Role.EMPLOYEE, "Finance", ()),
    "rahul": (f"rahul.mehta@{DOMAIN}", "Rahul Mehta", Role.EMPLOYEE, "Human Resources", ()),
    "grace": (f"grace.okafor@{DOMAIN}", "Grace Okafor", Role.EMPLOYEE, "Human Resources", ()),
    "tom": (f"tom.fischer@{DOMAIN}", "Tom Fischer", Role.EMPLOYEE, "Sales", ()),
    "isabel": (f"isabel.duarte@{DOMAIN}", "Isabel Duarte", Role.EMPLOYEE, "Sales", ()),
    "kenji": (f"kenji.watanabe@{DOMAIN}", "Kenji Watanabe", Role.EMPLOYEE, "Operations", ()),
    "fatima": (f"fatima.haddad@{DOMAIN}", "Fatima Haddad", Role.EMPLOYEE, "Operations", ()),
    "liam": (f"liam.byrne@{DOMAIN}", "Liam Byrne", Role.EMPLOYEE, "Customer Service", ()),
    "aisha": (f"aisha.bello@{DOMAIN}", "Aisha Bello", Role.EMPLOYEE, "Customer Service", ()),
    "helena": (f"helena.novak@{DOMAIN}", "Helena Novak", Role.EMPLOYEE, "Legal & Compliance", ()),
    "ben": (f"ben.carter@{DOMAIN}", "Ben Carter", Role.EMPLOYEE, "Marketing", ()),
    "zoe": (f"zoe.papadopoulos@{DOMAIN}", "Zoe Papadopoulos", Role.EMPLOYEE, "Procurement", ()),
}

# name, unit, capacity per planning period
POOLS = {
    "a": ("Application engineering", "FTE", (10.0, 12.0, 14.0)),
    "d": ("Data & analytics", "FTE", (5.0, 6.0, 6.0)),
    "i": ("Infrastructure", "FTE", (3.0, 3.5, 4.0)),
}

# ------------------------------------------------------------------ ideas


@dataclass(frozen=True)
class _Spec:
    key: str
    dept: str
    by: str
    title: str
    problem: str
    proposal: str
    benefit: str
    objectives: tuple[str, ...]
    state: IdeaStatus
    size: str = "M"  # S / M / L: drives cost, effort and risk
    pools: str = "a"  # resource pools used, first is the main one
    start: str = "2027"  # first planning period of the estimate
    via: str = ""  # the state a rejection, withdrawal, deferral or question came from
    reason: str = ""  # rejection / withdrawal / deferral reason, or the open question
    qa: tuple[str, str] | None = None  # a question answered earlier in the review
    dup_of: str = ""


S = IdeaStatus

IDEAS = [
    # ---------------------------------------------------------------- Finance
    _Spec(
        "invoice-matching",
        "Finance",
        "olivia",
        "Automate three-way invoice matching",
        "Accounts payable matches about 4,000 supplier invoices a month against purchase "
        "orders and goods receipts by hand. Mismatches surface late and 12% of invoices are "
        "paid after their due date.",
        "Switch on the ERP matching engine with tolerance rules, so clean invoices post "
        "automatically and only exceptions land in a clerk's queue.",
        "Around two FTE of clerical work freed, fewer late-payment fees, and the early-payment "
        "discounts we miss today.",
        ("cost",),
        S.DELIVERED,
        "M",
        "a",
    ),
    _Spec(
        "cash-forecast",
        "Finance",
        "jamie",
        "Rolling 13-week cash-flow forecast dashboard",
        "Treasury rebuilds the 13-week cash forecast every Monday in a spreadsheet fed by six "
        "manual extracts, so it is already out of date when the CFO sees it.",
        "Load bank balances, receivables and payables nightly into the data platform and "
        "publish a rolling forecast with the variance to last week's view.",
        "Treasury saves a day a week and can invest surplus cash sooner; fewer surprises "
        "around quarter end.",
        ("cost",),
        S.APPROVED,
        "M",
        "d",
        qa=(
            "Which banks and ledgers would the forecast need on day one?",
            "Our three house banks (all offer statement APIs) and the receivables and "
            "payables ledgers in the ERP. Intercompany can come later.",
        ),
    ),
    _Spec(
        "close-recon",
        "Finance",
        "olivia",
        "Faster month-end close with reconciliation software",
        "The month-end close takes nine working days, mostly balance-sheet reconciliations "
        "tracked in spreadsheets and e-mail threads.",
        "Introduce a reconciliation tool that auto-matches bank and intercompany items and "
        "runs the close checklist with sign-offs.",
        "Close in five days instead of nine, and a clean trail of who reconciled and approved "
        "what for the external auditors.",
        ("cost", "reg"),
        S.ESTIMATED,
        "M",
        "ai",
    ),
    _Spec(
        "expense-photo",
        "Finance",
        "jamie",
        "Expense claims from a photo of the receipt",
        "Employees keep paper receipts and type every expense line by hand; finance sends "
        "back one claim in five for missing or wrong data.",
        "Let staff photograph receipts in the mobile app, which reads amount, date and VAT "
        "and pre-fills the claim for approval.",
        "Faster reimbursement, fewer returned claims and VAT recovered on receipts that are "
        "lost today.",
        ("people", "cost"),
        S.IN_DELIVERY,
        "S",
        "a",
    ),
    _Spec(
        "dunning",
        "Finance",
        "jamie",
        "Automated dunning for overdue receivables",
        "Reminders for overdue invoices go out by hand when someone has time. Days sales "
        "outstanding rose from 41 to 52 this year.",
        "Send staged reminder e-mails and letters automatically by customer segment and "
        "amount, pausing while a dispute is open.",
        "A lower DSO frees roughly 1.5M of working capital, and collectors spend their time "
        "on the difficult cases.",
        ("revenue", "cost"),
        S.SUBMITTED,
    ),
    _Spec(
        "finance-sso",
        "Finance",
        "jamie",
        "Single sign-on for the finance reporting tools",
        "Controllers use four reporting tools with separate passwords, and preparing access "
        "reviews for the auditors takes weeks every year.",
        "Connect the reporting tools to the company login so access follows the HR record "
        "and leavers lose it automatically.",
        "One login for controllers, and access reviews that take a day instead of weeks.",
        ("reg", "people"),
        S.NEEDS_INFO,
        reason="Which four tools exactly, and do any of them already support SAML or "
        "OpenID Connect?",
    ),
    _Spec(
        "duplicate-payments",
        "Finance",
        "olivia",
        "Duplicate-payment check before each payment run",
        "Twice this year we paid the same supplier invoice twice, once for 48,000; getting "
        "the money back took months.",
        "Scan every payment proposal for same supplier, amount and invoice number before it "
        "is released to the bank.",
        "No more duplicate payments and less time spent recovering them.",
        ("cost",),
        S.REJECTED,
        via="in_review",
        reason="The ERP upgrade in the first quarter of 2027 brings a duplicate-payment check "
        "as standard. We will switch it on then instead of building our own.",
    ),
    _Spec(
        "travel-carbon",
        "Finance",
        "jamie",
        "Carbon footprint of business travel in the expense system",
        "The sustainability report needs travel emissions, which we currently estimate once a "
        "year from the travel agency's invoices.",
        "Calculate emissions for each flight, train and car claim as it is entered and report "
        "them by department every quarter.",
        "Reliable figures for the sustainability report and a nudge towards the train.",
        ("reg",),
        S.DRAFT,
    ),
    _Spec(
        "vat-ereporting",
        "Finance",
        "olivia",
        "Prepare for real-time VAT e-reporting",
        "EU rules (VAT in the Digital Age) will require structured e-invoices and near "
        "real-time VAT reporting; our VAT returns are still assembled in spreadsheets.",
        "Produce VAT reports directly from structured invoice data and connect to the tax "
        "authorities' reporting interfaces as each country switches on.",
        "Compliance in time for the national deadlines, and a VAT return that takes hours "
        "rather than days.",
        ("reg", "cost"),
        S.APPROVED,
        "M",
        "ad",
    ),
    # ------------------------------------------------------------ Human Resources
    _Spec(
        "hr-letters",
        "Human Resources",
        "grace",
        "Self-service HR letters",
        "HR answers around 300 requests a month for employment confirmations, salary "
        "certificates and visa letters, each typed from a template.",
        "Let employees generate signed standard letters themselves in the HR portal from "
        "their own employee record.",
        "About 40 adviser hours a month back, and employees get their letter in minutes "
        "instead of three days.",
        ("people", "cost"),
        S.DELIVERED,
        "S",
        "a",
    ),
    _Spec(
        "onboarding",
        "Human Resources",
        "rahul",
        "Onboarding checklist that starts before day one",
        "New hires often arrive without a laptop, badge or system accounts, and managers "
        "chase five teams by e-mail to sort it out.",
        "One onboarding workflow triggered by the signed contract, with tasks for IT, "
        "facilities and the manager and a status view for HR.",
        "New hires productive in their first week, a better first impression and fewer urgent "
        "IT tickets on Monday mornings.",
        ("people",),
        S.SELECTED,
        "M",
        "ai",
        qa=(
            "Which systems need accounts for a typical new hire, and who approves access today?",
            "Usually six: e-mail, the HR portal, the ERP, the CRM for sales roles, the badge "
            "system and the learning platform. The hiring manager approves by e-mail.",
        ),
    ),
    _Spec(
        "skills-marketplace",
        "Human Resources",
        "grace",
        "Skills inventory and internal gig marketplace",
        "We hire contractors for skills that already exist in the company because nobody "
        "can find the people who have them.",
        "Let employees record their skills and post short internal assignments that "
        "colleagues can apply for with their manager's agreement.",
        "Lower contractor spend, faster staffing of projects and visible development paths "
        "that help us keep good people.",
        ("people", "cost"),
        S.APPROVED,
        "L",
        "ad",
        start="2028",
    ),
    _Spec(
        "hr-chatbot",
        "Human Resources",
        "rahul",
        "Employee knowledge-base chatbot for HR questions",
        "The HR mailbox receives the same questions about leave, benefits and payroll dates "
        "every week, about 600 e-mails a month.",
        "A chatbot on the intranet that answers from the approved HR policy pages and hands "
        "over to an adviser when it is not sure.",
        "Answers at any hour for employees, and advisers freed for the cases that need a person.",
        ("people", "cost"),
        S.IN_REVIEW,
    ),
    _Spec(
        "exit-analytics",
        "Human Resources",
        "grace",
        "Exit interview analytics",
        "Exit interviews are stored as free text in PDFs and never analysed, so we cannot say "
        "why people leave.",
        "A structured online exit survey plus a quarterly analysis of leaving reasons by "
        "department, manager level and tenure.",
        "Targeted retention actions; each avoided departure saves roughly 30,000 in hiring "
        "and training.",
        ("people",),
        S.ESTIMATED,
        "S",
        "d",
    ),
    _Spec(
        "contract-esign",
        "Human Resources",
        "rahul",
        "Digital signature for employment contracts",
        "Contracts are printed, signed, scanned and posted, which delays start dates and "
        "loses us candidates to faster employers.",
        "Send employment contracts for electronic signature straight from the HR system.",
        "Contracts signed in a day instead of a week.",
        ("people", "cost"),
        S.WITHDRAWN,
        via="in_review",
        reason="The group-wide e-signature rollout announced in spring already covers "
        "employment contracts, so this is no longer needed.",
    ),
    _Spec(
        "training-records",
        "Human Resources",
        "grace",
        "Training records and certifications in one place",
        "Training certificates are spread over three learning platforms and paper files, so "
        "we cannot prove mandatory training when an auditor asks.",
        "Consolidate training records in the HR system and warn employees and managers "
        "before a certification expires.",
        "Audit-ready evidence of mandatory training and no more lapsed forklift or "
        "first-aid certificates.",
        ("reg", "people"),
        S.NEEDS_INFO,
        reason="How many employees hold certifications that expire, and which regulator or "
        "customer asks for the evidence?",
    ),
    _Spec(
        "pulse-survey",
        "Human Resources",
        "rahul",
        "Monthly anonymous pulse survey",
        "The engagement survey runs once a year and its results arrive after the problems "
        "have turned into resignations.",
        "Five questions a month to every employee, anonymous, with results per team once "
        "enough people have answered.",
        "Managers see problems while they can still fix them.",
        ("people",),
        S.DRAFT,
    ),
    _Spec(
        "hr-questions-bot",
        "Human Resources",
        "fatima",
        "Chatbot for questions about leave and payroll",
        "Warehouse staff cannot reach HR outside office hours and wait days for simple "
        "answers about leave balances and pay dates.",
        "A chat assistant on the intranet and the staff app that answers common HR questions.",
        "Quick answers for shift workers and fewer calls to HR.",
        ("people",),
        S.DUPLICATE,
        dup_of="hr-chatbot",
    ),
    # ------------------------------------------------------------------ Sales
    _Spec(
        "customer-360",
        "Sales",
        "isabel",
        "Customer 360 view for account managers",
        "Account managers look in the CRM, the billing system and the support tool separately "
        "before every customer call, and still miss open complaints.",
        "Build one customer view combining contracts, invoices, open tickets and product "
        "usage, shown inside the CRM.",
        "Better-prepared calls and more cross-selling; sales expects two more hours of "
        "selling time per rep per week.",
        ("revenue", "cx"),
        S.APPROVED,
        "L",
        "ad",
    ),
    _Spec(
        "cpq",
        "Sales",
        "tom",
        "Guided quote configurator",
        "Quotes for bundled products take two days because sales engineers check "
        "compatibility and pricing rules by hand; one quote in eight contains an error.",
        "A configure-price-quote tool in the CRM that enforces product rules and discount "
        "approval limits.",
        "Quotes on the same day, fewer pricing errors and discount leakage cut by an "
        "estimated 1-2% of revenue.",
        ("revenue",),
        S.SELECTED,
        "L",
        "a",
    ),
    _Spec(
        "lead-scoring",
        "Sales",
        "isabel",
        "Lead scoring from web behaviour",
        "Sales follows up web leads in order of arrival, so the most promising prospects wait "
        "as long as the least.",
        "Score leads on company profile and website behaviour and route the top tier to a "
        "rep within one hour.",
        "Higher conversion of inbound leads; the pilot team closed 18% more deals from the "
        "top tier.",
        ("revenue",),
        S.ESTIMATED,
        "M",
        "d",
    ),
    _Spec(
        "mobile-crm",
        "Sales",
        "tom",
        "Mobile CRM for field sales",
        "Field reps write visit notes on paper and type them in on Friday, so the pipeline "
        "is a week out of date.",
        "Roll out the CRM's mobile app with offline visit notes and voice dictation.",
        "An up-to-date pipeline for forecasting and about three hours a week saved per rep.",
        ("revenue", "people"),
        S.DELIVERED,
        "S",
        "a",
    ),
    _Spec(
        "commission-statements",
        "Sales",
        "tom",
        "Commission statements reps can check themselves",
        "Every quarter sales operations handles about 200 queries from reps who cannot see "
        "how their commission was calculated.",
        "Publish a monthly statement per rep listing the deals, rates and adjustments behind "
        "each figure.",
        "Fewer disputes, less work for sales operations and more trust in the plan.",
        ("people", "cost"),
        S.IN_REVIEW,
    ),
    _Spec(
        "partner-portal",
        "Sales",
        "isabel",
        "Partner portal for resellers",
        "Our 40 resellers order, register deals and download price lists by e-mail, which "
        "makes them slow to sell our newer products.",
        "A partner portal with deal registration, price lists, marketing material and order "
        "status.",
        "More revenue through the channel and less administration for the partner team.",
        ("revenue", "cx"),
        S.DEFERRED,
        "L",
        "ai",
        start="2028",
        via="approved",
        reason="The partner channel strategy is being reviewed in 2027. We will revisit once "
        "the new partner programme is agreed.",
    ),
    _Spec(
        "competitor-prices",
        "Sales",
        "tom",
        "Automatic tracking of competitor prices",
        "Reps learn about competitors' price changes from customers, usually after a deal is lost.",
        "Collect competitors' public web-shop prices daily and show changes in the CRM.",
        "Faster reaction to price moves and fewer lost deals.",
        ("revenue",),
        S.REJECTED,
        via="submitted",
        reason="Legal advised that scraping competitors' web shops breaches their terms of "
        "use. Market intelligence will buy a licensed price feed instead.",
    ),
    _Spec(
        "call-notes",
        "Sales",
        "isabel",
        "Call notes transcribed into the CRM automatically",
        "Reps spend 20-30 minutes after every customer call writing notes, and many calls are "
        "never logged at all.",
        "Transcribe and summarise recorded sales calls (with consent) and attach the summary "
        "and follow-up tasks to the opportunity.",
        "More selling time and a complete history of what was promised to the customer.",
        ("revenue", "people"),
        S.SUBMITTED,
    ),
    # ------------------------------------------------------------- Operations
    _Spec(
        "predictive-maintenance",
        "Operations",
        "kenji",
        "Predictive maintenance for conveyor lines",
        "Unplanned conveyor stoppages at the Riverside warehouse cost about 60 hours of lost "
        "throughput last year, mostly in peak season.",
        "Fit vibration and temperature sensors to the critical drives and alert maintenance "
        "when the readings point to an upcoming failure.",
        "Fewer stoppages, planned rather than emergency repairs and on-time shipments in "
        "peak season.",
        ("cost", "cx"),
        S.APPROVED,
        "L",
        "di",
    ),
    _Spec(
        "dock-scheduling",
        "Operations",
        "fatima",
        "Dock scheduling for inbound trucks",
        "Suppliers' trucks arrive unannounced and queue for up to three hours at peak times, "
        "blocking the yard.",
        "Let carriers book dock slots online and show the day's plan to the receiving team.",
        "Shorter waiting times, fewer waiting-time charges from carriers and smoother "
        "staffing of the receiving dock.",
        ("cost",),
        S.IN_DELIVERY,
        "M",
        "a",
    ),
    _Spec(
        "route-optimisation",
        "Operations",
        "kenji",
        "Route optimisation for delivery vans",
        "Dispatchers plan the next day's van routes by hand from a map and experience; vans "
        "often cross each other's areas.",
        "Plan routes with an optimisation service that respects delivery windows, van "
        "capacity and driver hours.",
        "Around 8% fewer kilometres and more deliveries inside the promised window.",
        ("cost", "cx"),
        S.ESTIMATED,
        "M",
        "d",
        qa=(
            "How many vans and stops per day are we talking about, and does the carrier "
            "contract let us change routes daily?",
            "38 vans with about 25 stops each. The routes are ours to plan; the contract only "
            "fixes the depot opening times.",
        ),
    ),
    _Spec(
        "shift-handover",
        "Operations",
        "fatima",
        "Digital shift handover log",
        "Shift supervisors hand over on paper; issues fall between shifts and nobody can "
        "search past incidents.",
        "A tablet-based handover log where open actions carry over to the next shift "
        "automatically.",
        "Fewer dropped issues between shifts and a searchable history for root-cause analysis.",
        ("people", "cost"),
        S.DELIVERED,
        "S",
        "a",
    ),
    _Spec(
        "slotting",
        "Operations",
        "kenji",
        "Warehouse slotting by pick frequency",
        "Fast-moving items are stored at the far end of the aisles because locations were "
        "assigned when each product was introduced.",
        "Re-slot every quarter from the pick data so the most-picked 20% of items sit "
        "closest to dispatch.",
        "Shorter walking distances and roughly 10% more picks per hour.",
        ("cost",),
        S.SUBMITTED,
    ),
    _Spec(
        "energy-metering",
        "Operations",
        "kenji",
        "Sub-metering and an energy dashboard per site",
        "We pay 2.1M a year for energy across seven sites but only see one bill per site, "
        "too late and too coarse to act on.",
        "Install sub-meters on the main consumers and show consumption per site and per hour "
        "in a dashboard.",
        "Savings of 5-10% from switching off idle equipment, and data for the new "
        "energy-audit obligation.",
        ("cost", "reg"),
        S.NEEDS_INFO,
        via="submitted",
        reason="Do the landlords of the leased sites allow us to install meters, and can you "
        "share last year's energy bills per site?",
    ),
    # ------------------------------------------------------- Customer Service
    _Spec(
        "churn-score",
        "Customer Service",
        "aisha",
        "Churn early-warning score for key accounts",
        "We learn that key accounts are unhappy when they give notice; last year we lost 14 "
        "accounts worth 3.2M in annual revenue.",
        "Combine ticket volumes, satisfaction scores, falling usage and late payments into a "
        "monthly risk score with an alert to the account owner.",
        "Save part of the at-risk revenue through early action; keeping three accounts pays "
        "for it.",
        ("revenue", "cx"),
        S.APPROVED,
        "M",
        "d",
    ),
    _Spec(
        "callback",
        "Customer Service",
        "liam",
        "Callback instead of waiting in the phone queue",
        "At the Monday peak callers wait more than 12 minutes and one in five hangs up.",
        "Offer a callback that keeps the caller's place in the queue.",
        "Fewer abandoned calls and better satisfaction scores without extra staff.",
        ("cx",),
        S.DELIVERED,
        "S",
        "ai",
    ),
    _Spec(
        "order-tracking",
        "Customer Service",
        "liam",
        "Order tracking page with live delivery status",
        "Where-is-my-order calls make up 30% of contact-centre volume.",
        "A tracking page and proactive text messages with the carrier's live status and "
        "delivery window.",
        "Half the where-is-my-order calls gone, and customers know when to be at home.",
        ("cx", "cost"),
        S.SELECTED,
        "M",
        "ai",
    ),
    _Spec(
        "agent-knowledge",
        "Customer Service",
        "aisha",
        "Knowledge articles suggested to agents during calls",
        "New agents need three months before they handle calls alone because the answers are "
        "spread over old wiki pages.",
        "Suggest relevant knowledge articles in the agent desktop from the case category and "
        "keywords, and let agents rate them.",
        "Shorter calls, faster onboarding of new agents and more consistent answers.",
        ("cx", "people"),
        S.ESTIMATED,
        "M",
        "ad",
    ),
    _Spec(
        "csat-survey",
        "Customer Service",
        "liam",
        "Short satisfaction survey after every closed case",
        "We measure customer satisfaction once a year with a survey that reaches 300 customers.",
        "Send a two-question survey when a case is closed and show the results per team and "
        "case type.",
        "Weekly feedback on service quality instead of a yearly number.",
        ("cx",),
        S.SUBMITTED,
    ),
    _Spec(
        "whatsapp",
        "Customer Service",
        "aisha",
        "WhatsApp as a support channel",
        "Younger customers ignore e-mail and do not want to call; competitors already answer "
        "on messaging apps.",
        "Add WhatsApp Business as a channel in the contact centre, with the same case "
        "handling as e-mail.",
        "More satisfied customers and cheaper contacts than phone calls.",
        ("cx",),
        S.DEFERRED,
        "M",
        "ai",
        start="2028",
        via="approved",
        reason="A good fit for 2028, once the new contact-centre platform is live; the current "
        "telephony contract cannot integrate messaging.",
    ),
    _Spec(
        "text-analytics",
        "Customer Service",
        "liam",
        "Text analytics on customer feedback",
        "Free-text comments from surveys and complaints are read by nobody systematically.",
        "A text-analytics service that groups comments by topic and sentiment each week.",
        "Early sight of recurring problems with products and delivery.",
        ("cx",),
        S.REJECTED,
        "M",
        "d",
        via="estimated",
        reason="At about 800 comments a month the quality team can read and tag them; a "
        "text-analytics licence is not justified yet. Please resubmit if volumes double.",
    ),
    _Spec(
        "one-customer-view",
        "Customer Service",
        "aisha",
        "One view of the customer across CRM, billing and support",
        "Agents switch between three systems to see a customer's contracts, invoices and "
        "previous cases.",
        "Show all of it on one screen when a customer calls.",
        "Shorter calls and fewer transfers to billing.",
        ("cx",),
        S.DUPLICATE,
        dup_of="customer-360",
    ),
    _Spec(
        "self-service-changes",
        "Customer Service",
        "liam",
        "Self-service address and payment-detail changes",
        "One call in six is a customer changing an address, contact person or bank details, "
        "which an agent then types into two systems.",
        "Let customers change these details themselves in the customer portal, with a "
        "verification step for bank details.",
        "Fewer routine calls and fewer typing errors in invoices and deliveries.",
        ("cx", "cost"),
        S.IN_REVIEW,
        qa=(
            "Is the customer portal's login strong enough for changing bank details, or would "
            "we need an extra verification?",
            "Today it is password only. We would want a confirmation code by text message "
            "for bank details, like the banks do.",
        ),
    ),
    # ------------------------------------------------------- Legal & Compliance
    _Spec(
        "clm-suite",
        "Legal & Compliance",
        "helena",
        "Contract lifecycle management suite",
        "Contracts live in shared folders and e-mail; we have missed renewal deadlines and "
        "cannot answer quickly which contracts contain a given clause.",
        "A contract lifecycle management suite covering templates, approvals, signature, "
        "the contract register and renewal alerts for all departments.",
        "No more missed renewals, faster contract turnaround and answers in minutes when a "
        "regulator or acquirer asks.",
        ("reg", "cost"),
        S.APPROVED,
        "L",
        "ai",
    ),
    _Spec(
        "dsar-workflow",
        "Legal & Compliance",
        "helena",
        "Workflow for data subject requests",
        "Access and erasure requests under the GDPR arrive by e-mail and post; we missed the "
        "one-month deadline twice this year.",
        "A request register with deadline tracking and a task list for every system that "
        "holds personal data.",
        "The legal deadline met every time, and a complete record to show the data "
        "protection authority.",
        ("reg", "cx"),
        S.IN_DELIVERY,
        "M",
        "a",
    ),
    _Spec(
        "sanctions-screening",
        "Legal & Compliance",
        "helena",
        "Sanctions screening of customers and suppliers",
        "Sanctions lists are checked by hand for new suppliers only, and nobody re-checks "
        "when the lists change.",
        "Screen automatically at onboarding and re-screen the whole customer and supplier "
        "base nightly against the EU, UK and US lists.",
        "Compliance with sanctions law and a defensible audit trail.",
        ("reg",),
        S.DELIVERED,
        "M",
        "ad",
    ),
    _Spec(
        "policy-attestation",
        "Legal & Compliance",
        "helena",
        "Annual policy attestation on the intranet",
        "Employees confirm that they have read the code of conduct on paper forms; we cannot "
        "tell who is missing.",
        "An annual attestation on the intranet with reminders and a completion report per "
        "department.",
        "Proof of attestation for the auditors and no more paper forms.",
        ("reg", "people"),
        S.ESTIMATED,
        "S",
        "a",
    ),
    _Spec(
        "whistleblowing",
        "Legal & Compliance",
        "helena",
        "Whistleblowing channel that meets the EU directive",
        "Our whistleblowing hotline is a shared mailbox. The EU directive requires a "
        "confidential channel, acknowledgement within 7 days and feedback within 3 months.",
        "A hosted whistleblowing platform with anonymous two-way messaging and case "
        "management for the compliance team.",
        "Compliance with the directive and a channel employees trust.",
        ("reg",),
        S.SELECTED,
        "S",
        "i",
    ),
    _Spec(
        "counsel-ebilling",
        "Legal & Compliance",
        "helena",
        "E-billing review of outside counsel invoices",
        "Law-firm invoices arrive as PDFs and are checked line by line against the agreed "
        "rates, when they are checked at all.",
        "Require law firms to bill through an e-billing platform that checks rates and "
        "billing guidelines automatically.",
        "An estimated 5-8% saving on outside counsel spend of 1.4M a year.",
        ("cost",),
        S.SUBMITTED,
    ),
    _Spec(
        "retention-rules",
        "Legal & Compliance",
        "helena",
        "Retention rules applied automatically to the file shares",
        "Old documents with personal data are kept for years on the file shares, against our "
        "own retention policy.",
        "Classify documents on the file shares and delete or archive them according to the "
        "retention schedule.",
        "Less personal data at risk, less storage and a policy we actually follow.",
        ("reg", "cost"),
        S.NEEDS_INFO,
        reason="Roughly how many terabytes and which shares are we talking about, and who "
        "owns the retention schedule for each document type?",
    ),
    _Spec(
        "nda-review",
        "Legal & Compliance",
        "tom",
        "AI-assisted review of incoming NDAs",
        "Customers send us their own NDAs and deals wait up to a week for Legal to review them.",
        "An AI review tool that compares incoming NDAs with our playbook and flags the "
        "clauses a lawyer must look at.",
        "NDAs back within a day and less lawyer time on routine documents.",
        ("revenue", "cost"),
        S.REJECTED,
        "S",
        "a",
        via="estimated",
        reason="At about 15 NDAs a month the licence costs more than the lawyer time it "
        "saves. The new one-page NDA template, approved in March, already removes most "
        "negotiation.",
    ),
    # ---------------------------------------------------------------- Marketing
    _Spec(
        "consent-centre",
        "Marketing",
        "ben",
        "Consent and preference centre",
        "Marketing consent is stored in four tools that disagree with each other, so we "
        "cannot be sure who may receive newsletters.",
        "One consent and preference centre that every marketing tool reads from, with a "
        "page where customers manage their choices.",
        "Lawful marketing, fewer complaints and higher newsletter reach from customers who "
        "opt in to more topics.",
        ("reg", "revenue"),
        S.APPROVED,
        "M",
        "a",
    ),
    _Spec(
        "campaign-dashboard",
        "Marketing",
        "ben",
        "Campaign performance dashboard",
        "Campaign results are compiled monthly from five ad platforms into a slide deck, "
        "three weeks after the money is spent.",
        "Daily automated feeds from the ad platforms and web analytics into one dashboard "
        "with cost per lead by channel.",
        "Budget moved to the channels that work while the campaign is still running.",
        ("revenue", "cost"),
        S.IN_DELIVERY,
        "M",
        "d",
    ),
    _Spec(
        "asset-library",
        "Marketing",
        "ben",
        "Digital asset library for brand materials",
        "Logos, product photos and templates are spread over shared drives; sales and "
        "partners keep using outdated versions.",
        "A digital asset library with approved, searchable brand material and share links "
        "for partners.",
        "Consistent branding and less time spent hunting for the right file.",
        ("revenue", "people"),
        S.ESTIMATED,
        "S",
        "ai",
    ),
    _Spec(
        "recommendations",
        "Marketing",
        "ben",
        "Personalised product recommendations in newsletters",
        "Every customer receives the same newsletter whatever they have bought before, and "
        "click rates have fallen for two years.",
        "Recommend products in each newsletter based on purchase history and similar "
        "customers' choices.",
        "Higher click and conversion rates; comparable retailers report 10-15% more revenue "
        "from e-mail.",
        ("revenue", "cx"),
        S.APPROVED,
        "M",
        "d",
        start="2028",
    ),
    _Spec(
        "event-registration",
        "Marketing",
        "ben",
        "Online registration and badge printing for events",
        "Registrations for our customer events are collected in spreadsheets and badges are "
        "printed the night before.",
        "An event registration tool with confirmation e-mails and on-site badge printing.",
        "Less manual work and a better first impression at events.",
        ("cx",),
        S.WITHDRAWN,
        via="submitted",
        reason="The venue's own registration service covers our three large events this "
        "year, so I am withdrawing this to save everyone the effort.",
    ),
    _Spec(
        "social-listening",
        "Marketing",
        "ben",
        "Social media listening tool",
        "We find out about complaints on social media when they have already spread.",
        "License a listening tool that alerts us to mentions of our brand and products.",
        "Faster responses and a better picture of how customers see us.",
        ("cx",),
        S.REJECTED,
        via="in_review",
        reason="Our agency contract already includes weekly social listening reports until "
        "the end of 2027; a second tool would duplicate that spend.",
    ),
    _Spec(
        "ab-testing",
        "Marketing",
        "ben",
        "A/B testing on the website",
        "Changes to the website go live for everyone at once, so we never know whether they "
        "helped.",
        "A testing tool to show variants of key pages to a share of visitors and measure "
        "conversion.",
        "Website changes that are proven to increase enquiries.",
        ("revenue",),
        S.DRAFT,
    ),
    # -------------------------------------------------------------- Procurement
    _Spec(
        "e-invoicing",
        "Procurement",
        "zoe",
        "Supplier e-invoicing through Peppol",
        "Two thirds of supplier invoices still arrive as PDFs or paper and are typed in by "
        "a service provider at 1.80 per invoice.",
        "Receive invoices as structured Peppol e-invoices and onboard our top 300 suppliers "
        "to send them.",
        "Lower processing cost, fewer typing errors and readiness for mandatory e-invoicing.",
        ("cost", "reg"),
        S.APPROVED,
        "M",
        "ai",
    ),
    _Spec(
        "contract-search",
        "Procurement",
        "zoe",
        "Contract metadata search in the existing document library",
        "Buyers cannot find supplier contracts or their expiry dates without asking Legal.",
        "Add metadata (supplier, value, expiry, notice period) to the contracts already in "
        "the document library, with search and expiry reminders.",
        "Buyers find contracts themselves and renegotiate before automatic renewals.",
        ("cost",),
        S.APPROVED,
        "S",
        "a",
    ),
    _Spec(
        "supplier-onboarding",
        "Procurement",
        "zoe",
        "Supplier self-service onboarding portal",
        "Setting up a new supplier takes three weeks of e-mails to collect bank details, "
        "certificates and tax forms.",
        "A portal where suppliers register, upload documents and keep their own details up "
        "to date, with checks before approval.",
        "Suppliers set up in days, fewer bank-detail fraud attempts and cleaner master data.",
        ("cost", "reg"),
        S.DEFERRED,
        "M",
        "a",
        start="2028",
        via="selected",
        reason="Deferred until the ERP supplier module upgrade in 2028; building it now would "
        "mean doing it twice.",
    ),
    _Spec(
        "catalogue-buying",
        "Procurement",
        "zoe",
        "Catalogue buying for office supplies and IT accessories",
        "Every department orders office supplies and accessories by e-mail from whichever "
        "supplier it knows, at list prices.",
        "Punch-out catalogues from two contracted suppliers in the purchasing system, with "
        "approval only above 500.",
        "Contract prices on small purchases and fewer purchase orders for Procurement to handle.",
        ("cost",),
        S.IN_REVIEW,
    ),
    _Spec(
        "tail-spend",
        "Procurement",
        "zoe",
        "Tail-spend purchasing through a B2B marketplace",
        "Thousands of small one-off purchases go to hundreds of suppliers that we onboard for "
        "a single order.",
        "Route one-off purchases below 5,000 through a B2B marketplace account with "
        "consolidated monthly invoicing.",
        "Fewer suppliers to maintain and one invoice a month instead of hundreds.",
        ("cost",),
        S.SUBMITTED,
    ),
    _Spec(
        "supplier-slots",
        "Procurement",
        "zoe",
        "Online booking of delivery slots for suppliers",
        "Suppliers tell us their trucks wait for hours at our warehouse and charge us for it.",
        "Let suppliers book a delivery time online before they come.",
        "Lower waiting charges and happier suppliers.",
        ("cost",),
        S.DUPLICATE,
        dup_of="dock-scheduling",
    ),
]

# source, target, kind, note
LINKS = [
    (
        "churn-score",
        "customer-360",
        LinkKind.REQUIRES,
        "The churn score reads usage and ticket data from the customer 360 data model.",
    ),
    (
        "recommendations",
        "consent-centre",
        LinkKind.REQUIRES,
        "Personalised newsletters need recorded consent for profiling.",
    ),
    (
        "clm-suite",
        "contract-search",
        LinkKind.EXCLUDES,
        "Two answers to the same contract-register problem; we will fund one of them.",
    ),
    (
        "e-invoicing",
        "vat-ereporting",
        LinkKind.TOGETHER_WITH,
        "Both use the same Peppol access point; doing them apart means two integrations.",
    ),
    (
        "consent-centre",
        "dsar-workflow",
        LinkKind.RELATED,
        "Consent records are one of the systems a data subject request must cover.",
    ),
    (
        "partner-portal",
        "supplier-onboarding",
        LinkKind.RELATED,
        "Both need logins for people outside the company; one external identity solution "
        "could serve both.",
    ),
    (
        "predictive-maintenance",
        "route-optimisation",
        LinkKind.RELATED,
        "Both would run on the new operations data platform.",
    ),
]

# brm, department, days ago, kind, notes, idea keys
TOUCHPOINTS = [
    (
        "brm",
        "Finance",
        200,
        TouchpointKind.WORKSHOP,
        "Month-end close workshop with Catherine and the controllers. Reconciliations and "
        "invoice matching are the biggest time sinks; VAT e-reporting deadlines confirmed "
        "for 2028.",
        ("close-recon", "invoice-matching", "vat-ereporting"),
    ),
    (
        "brm",
        "Sales",
        120,
        TouchpointKind.MEETING,
        "Quarterly review with Marta. Agreed that the customer 360 view is the foundation "
        "for churn scoring; the quote configurator is her top priority for 2027.",
        ("customer-360", "cpq", "churn-score"),
    ),
    (
        "brm",
        "Customer Service",
        60,
        TouchpointKind.CALL,
        "Call with Nadia about contact-centre volumes. Where-is-my-order calls still 30% of "
        "volume; WhatsApp waits for the new telephony platform.",
        ("order-tracking", "whatsapp", "callback"),
    ),
    (
        "brm2",
        "Operations",
        150,
        TouchpointKind.MEETING,
        "Site visit at Riverside with Victor. Saw the conveyor stoppage log and the truck "
        "queue at the inbound dock.",
        ("predictive-maintenance", "dock-scheduling"),
    ),
    (
        "brm2",
        "Legal & Compliance",
        95,
        TouchpointKind.EMAIL,
        "Jonathan confirmed the whistleblowing directive deadline and asked that the data "
        "subject request workflow go live before the next audit.",
        ("whistleblowing", "dsar-workflow"),
    ),
    (
        "brm2",
        "Human Resources",
        75,
        TouchpointKind.WORKSHOP,
        "Onboarding journey workshop with Daniel, IT service desk and facilities. Mapped six "
        "hand-offs that delay a new hire's first day.",
        ("onboarding", "hr-chatbot"),
    ),
    (
        "brm2",
        "Procurement",
        30,
        TouchpointKind.MEETING,
        "Samuel prefers the full CLM suite over adding metadata to the document library, "
        "but accepts the optimizer should decide on value per euro.",
        ("clm-suite", "contract-search", "e-invoicing"),
    ),
    (
        "brm2",
        "Marketing",
        12,
        TouchpointKind.CALL,
        "Elena wants personalised newsletters in 2028; consent centre first.",
        ("recommendations", "consent-centre"),
    ),
]

GENERAL_COMMENTS = [
    "We have the same problem in {dept}; happy to pilot this with my team.",
    "This would save us hours every month. Fully support it.",
    "Could we use a module we already license instead of buying a new tool?",
    "What happens to the data we already keep in spreadsheets? A migration plan would help.",
    "Please involve the works council early if this changes how work is recorded.",
    "+1. Customers ask us about this every week.",
    "Can we start with one site or team and measure before rolling it out everywhere?",
    "The numbers in the problem statement match what we see in {dept}.",
    "Who would own this once it is live? Worth agreeing before it starts.",
    "Training matters here: the last rollout struggled because nobody showed us the tool.",
    "A simple dashboard for managers would make this even more useful.",
    "Our team would gladly help with testing.",
    "Please make sure it covers our German and Danish entities; their rules differ.",
    "This has come up in three team retrospectives this year. Glad someone wrote it down.",
    "Rough figure from {dept}: we spend about half a day a week on this.",
    "Fewer manual steps also means fewer audit findings. Supporting this.",
    "Please keep the old process available for a few weeks while people switch over.",
    "Mobile access would make this much more useful for colleagues on the road.",
]
PROGRESS_COMMENTS = [
    "Any news on timing? Happy to help with requirements.",
    "Great to see this moving. {dept} can provide test data.",
    "Looking forward to this one; it will make a real difference for us.",
]
DELIVERED_COMMENTS = [
    "Using it since launch and it really works. Thank you!",
    "{dept} saves real time with this now. Could we extend it to the next process?",
    "Much faster than before. A short how-to video for new colleagues would help.",
]
CLOSED_COMMENTS = [
    "Understood, thanks for explaining the reason.",
    "Fair enough. Let's revisit if things change.",
]
ESTIMATE_NOTES = [
    "Sized with {dept} in a one-hour workshop; assumes we reuse the existing integration platform.",
    "Licence figures from a vendor quote; integration effort is our own estimate.",
    "Based on a comparable project delivered last year; the main uncertainty is data "
    "quality in the source systems.",
    "Includes first-year licences as capex; run costs continue as opex.",
    "Effort assumes a vendor-hosted solution; on premises would roughly double the "
    "infrastructure effort.",
]

# (step name, gap range in days before the step)
_GAPS = {
    "submit": (0.05, 4),
    "start_review": (1, 12),
    "ask_info": (1, 8),
    "answer": (1, 6),
    "mark_estimated": (6, 30),
    "approve": (3, 21),
    "select": (5, 60),
    "start_delivery": (5, 25),
    "deliver": (50, 150),
    "reject": (2, 20),
    "mark_duplicate": (1, 10),
    "withdraw": (2, 30),
    "defer": (10, 60),
}
# How long ago an idea's last step happened, by final state (days).
_END_AGE = {
    S.SUBMITTED: (0.3, 20),
    S.IN_REVIEW: (1, 15),
    S.NEEDS_INFO: (2, 14),
    S.ESTIMATED: (3, 45),
    S.APPROVED: (10, 120),
    S.REJECTED: (5, 300),
    S.WITHDRAWN: (10, 250),
    S.DEFERRED: (10, 150),
}
# Portfolio plans adopted so far (days ago): early 2026, mid 2026, the 2027 plan.
_ROUNDS = {"A": 300, "B": 180, "C": 40}
_MAX_AGE = 425  # about fourteen months

# The next plan, worked out but not adopted yet: budgets per planning period (what the
# approved and deferred candidates compete for), a what-if with 20% less, and the solver
# settings that keep loading the demo quick and its answer the same every time.
SCENARIO_NAME = "FY2027-2029 portfolio"
SCENARIO_BUDGET = {"2027": 1_500_000.0, "2028": 1_800_000.0, "2029": 1_200_000.0}
LEANER_BY = 0.20
SCENARIO_SHARES = {"Customer Service": {"min": 0.10, "max": 1.0}}
SOLVER = {"backend": "cbc", "time_limit": 10}
DEMO_RUN_CONFIG = {
    "RUNS_INLINE": True,
    "PORTFOLIO_GAP": 1e-4,
    "PORTFOLIO_EXPLAIN_SECONDS": 5,
    "PORTFOLIO_FRONTIER_POINTS": 9,
    "PORTFOLIO_ROBUSTNESS_SAMPLES": 25,
}


# ------------------------------------------------------------------ loading


def load_demo() -> dict:
    """Fill an empty database with the demo company and commit; returns what was made."""
    if db.session.scalar(sa.select(sa.func.count(User.id))):
        raise RuntimeError("Demo data needs an empty database.")
    # Demo history must not e-mail anyone, even when SMTP is configured.
    mailer = current_app.extensions.pop("converge_mailer", None)
    try:
        if has_request_context():
            summary = _Loader().run()
        else:
            with current_app.test_request_context():
                summary = _Loader().run()
    except Exception:
        db.session.rollback()
        raise
    finally:
        if mailer is not None:
            current_app.extensions["converge_mailer"] = mailer
    return summary


class _Loader:
    def __init__(self) -> None:
        self.rng = random.Random(42)
        self.now = utcnow().replace(second=0, microsecond=0)
        self.start = self.now - timedelta(days=_MAX_AGE + 20)
        self.marks = {AuditEvent: 0, Notification: 0}
        self.departments: dict[str, Department] = {}
        self.objectives: dict[str, StrategicObjective] = {}
        self.users: dict[str, User] = {}
        self.pools: dict[str, ResourcePool] = {}
        self.ideas: dict[str, Idea] = {}
        self.times: dict[str, dict[str, datetime]] = {}
        self.estimates: dict[str, Estimate] = {}

    def run(self) -> dict:
        self._organisation()
        for spec in IDEAS:
            self._idea(spec)
        self._links()
        self._touchpoints()
        self._finish()
        db.session.commit()
        self._portfolio()
        return self._summary()

    # ---------------------------------------------------------- organisation

    def _organisation(self) -> None:
        t = self.start
        for name, leader in DEPARTMENTS:
            email = leader.lower().replace(" ", ".") + "@" + DOMAIN
            dept = Department(name=name, leader_name=leader, leader_email=email, created_at=t)
            db.session.add(dept)
            self.departments[name] = dept
        for key, (name, description, weight) in OBJECTIVES.items():
            objective = StrategicObjective(
                name=name, description=description, weight=weight, created_at=t
            )
            db.session.add(objective)
            self.objectives[key] = objective
        # One hash for everyone: the same password, and loading stays fast.
        password_hash = generate_password_hash(DEMO_PASSWORD)
        for key, (email, name, role, dept, covers) in PEOPLE.items():
            user = User(
                email=email,
                name=name,
                role=role,
                department=self.departments[dept],
                password_hash=password_hash,
                created_at=t + timedelta(hours=1),
            )
            user.covered_departments = [self.departments[d] for d in covers]
            db.session.add(user)
            self.users[key] = user
        for key, (name, unit, capacities) in POOLS.items():
            pool = ResourcePool(name=name, unit=unit, created_at=t)
            pool.capacities = [
                PoolCapacity(period=p, capacity=c) for p, c in zip(PERIODS, capacities, strict=True)
            ]
            db.session.add(pool)
            self.pools[key] = pool
        db.session.flush()

    def _brm_for(self, dept: str) -> User:
        return next(self.users[k] for k in ("brm", "brm2") if dept in PEOPLE[k][4])

    # ------------------------------------------------------------ timelines

    @staticmethod
    def _path(spec: _Spec) -> list[str]:
        state, via = spec.state, spec.via
        if state == S.DRAFT:
            return []
        review = ["start_review"] + (["ask_info", "answer"] if spec.qa else [])
        estimated = [*review, "mark_estimated"]
        approved = [*estimated, "approve"]
        tail = {
            S.SUBMITTED: [],
            S.IN_REVIEW: review,
            S.NEEDS_INFO: [] if via == "submitted" else ["start_review"],
            S.ESTIMATED: estimated,
            S.APPROVED: approved,
            S.SELECTED: [*approved, "select"],
            S.IN_DELIVERY: [*approved, "select", "start_delivery"],
            S.DELIVERED: [*approved, "select", "start_delivery", "deliver"],
            S.REJECTED: {"submitted": [], "in_review": review}.get(via, estimated),
            S.DUPLICATE: ["start_review"],
            S.WITHDRAWN: review if via == "in_review" else [],
            S.DEFERRED: approved + (["select"] if via == "selected" else []),
        }[state]
        final = {
            S.NEEDS_INFO: ["ask_info"],
            S.REJECTED: ["reject"],
            S.DUPLICATE: ["mark_duplicate"],
            S.WITHDRAWN: ["withdraw"],
            S.DEFERRED: ["defer"],
        }.get(state, [])
        return ["submit", *tail, *final]

    def _round_for(self, spec: _Spec) -> str:
        if spec.state == S.DELIVERED:
            return "A"
        if spec.state in (S.IN_DELIVERY, S.DEFERRED):
            return "B"
        return "C"

    def _timeline(self, spec: _Spec, steps: list[str]) -> list[datetime]:
        """Times for [created, *steps], oldest first, ending before now."""
        rng = self.rng
        gaps = [rng.uniform(*_GAPS[s]) for s in steps]
        if not steps:
            ages = [rng.uniform(1, 40)]
        elif "select" in steps:
            i = steps.index("select")
            anchor = _ROUNDS[self._round_for(spec)] + rng.uniform(0, 0.1)
            after = gaps[i + 1 :]
            room = anchor - 3
            if sum(after) > room:
                after = [g * room / sum(after) for g in after]
            ages = [anchor]
            for g in reversed(gaps[: i + 1]):
                ages.insert(0, ages[0] + g)
            for g in after:
                ages.append(ages[-1] - g)
        elif spec.dup_of:
            # Merged some days after the near-identical idea was submitted.
            origin = self.times[spec.dup_of]["submit"]
            origin_age = (self.now - origin).total_seconds() / 86400
            first_age = origin_age - min(rng.uniform(2, 6), 0.3 * origin_age)
            if sum(gaps) > first_age - 0.2:
                gaps = [g * (first_age - 0.2) / sum(gaps) for g in gaps]
            ages = [first_age]
            for g in gaps:
                ages.append(ages[-1] - g)
        else:
            ages = [rng.uniform(*_END_AGE[spec.state])]
            for g in reversed(gaps):
                ages.insert(0, ages[0] + g)
        if ages[0] > _MAX_AGE:  # squeeze the oldest histories into fourteen months
            span = ages[0] - ages[-1]
            scale = (_MAX_AGE - ages[-1]) / span
            ages = [ages[-1] + (a - ages[-1]) * scale for a in ages]
        times = [self._office_hours(self.now - timedelta(days=a)) for a in ages]
        for k in range(1, len(times)):  # strictly in order
            if times[k] <= times[k - 1]:
                times[k] = times[k - 1] + timedelta(minutes=rng.randint(15, 90))
        if times[-1] > self.now:
            times = [t - (times[-1] - self.now) - timedelta(minutes=5) for t in times]
        return times

    def _office_hours(self, t: datetime) -> datetime:
        while t.weekday() >= 5:
            t -= timedelta(days=1)
        minutes = 8 * 60 + self.rng.randint(0, 9 * 60)
        moved = t.replace(hour=minutes // 60, minute=minutes % 60)
        return min(moved, self.now - timedelta(minutes=5))

    def _stamp(self, when: datetime) -> None:
        """Back-date the audit events and notifications written since the last stamp."""
        db.session.flush()
        for model, mark in self.marks.items():
            db.session.execute(sa.update(model).where(model.id > mark).values(created_at=when))
            self.marks[model] = db.session.scalar(sa.select(sa.func.max(model.id))) or 0

    # ----------------------------------------------------------------- ideas

    def _idea(self, spec: _Spec) -> None:
        rng = self.rng
        submitter = self.users[spec.by]
        brm = self._brm_for(spec.dept)
        pm = self.users["pm"]
        steps = self._path(spec)
        times = self._timeline(spec, steps)
        data = IdeaInput(
            title=spec.title,
            problem=spec.problem,
            proposal=spec.proposal,
            expected_benefit=spec.benefit,
            department_id=self.departments[spec.dept].id,
            objective_ids=[self.objectives[k].id for k in spec.objectives],
        )
        idea = create_idea(submitter, data)
        self.ideas[spec.key] = idea
        self._stamp(times[0])
        at: dict[str, datetime] = {"created": times[0]}
        decided = None
        for step, when in zip(steps, times[1:], strict=True):
            actor, reason = brm, None
            if step in ("submit", "answer", "withdraw"):
                actor = submitter
            elif step in ("select", "start_delivery"):
                actor = pm
            if step == "ask_info":
                reason = spec.qa[0] if spec.qa else spec.reason
            elif step == "answer":
                reason = spec.qa[1]
            elif step in ("reject", "withdraw", "defer"):
                reason = spec.reason
            elif step == "mark_estimated":
                self._estimate(spec, idea, brm, when - timedelta(minutes=rng.randint(20, 90)))
            elif step == "mark_duplicate":
                reason = self._merge(idea, self.ideas[spec.dup_of], brm, when)
            elif step == "start_review":
                idea.assignee = brm
                db.session.add(Follow(idea_id=idea.id, user_id=brm.id, created_at=when))
            workflow.apply(idea, step, actor, reason)
            if step in ("ask_info", "answer"):  # the workflow kept it in the discussion
                idea.comments[-1].created_at = when
            self._stamp(when)
            at[step] = when
            if idea.status in workflow.DECISION_STATES:
                decided = when
            if step == "submit":
                self._followers(spec, idea, when, times)
        self.times[spec.key] = at
        idea.created_at = times[0]
        idea.submitted_at = at.get("submit")
        idea.decided_at = decided
        self._votes(spec, idea, times)
        self._comments(spec, idea, times)
        if spec.state == S.DELIVERED:
            self._delivery_results(spec, idea, at["deliver"])
        elif spec.state == S.IN_DELIVERY:
            self._spend_to_date(spec, idea)

    def _merge(self, idea: Idea, survivor: Idea, brm: User, when: datetime) -> str:
        """What merging does besides the status: link, and followers move to the survivor."""
        idea.merged_into = survivor
        db.session.add(
            IdeaLink(
                source_id=idea.id,
                target_id=survivor.id,
                kind=LinkKind.DUPLICATE_OF,
                note="Same need as the earlier idea; votes and followers moved there.",
                created_by_id=brm.id,
                created_at=when,
            )
        )
        if db.session.get(Follow, (survivor.id, idea.submitter_id)) is None:
            db.session.add(Follow(idea_id=survivor.id, user_id=idea.submitter_id, created_at=when))
        return f"{survivor.reference} “{survivor.title}”"

    def _comment(
        self, author: User, idea: Idea, body: str, when: datetime, kind=CommentKind.COMMENT
    ) -> None:
        comment = add_comment(author, idea, body, kind)
        comment.created_at = when

    def _colleagues(self, spec: _Spec) -> list[User]:
        """Who votes and comments: employees and the admin, never the idea's own submitter."""
        return [u for k, u in self.users.items() if k not in ("pm", "brm", "brm2", spec.by)]

    def _open_until(self, spec: _Spec, times: list[datetime]) -> datetime:
        closed = spec.state in (S.REJECTED, S.WITHDRAWN, S.DELIVERED, S.DUPLICATE)
        return times[-1] if closed else self.now - timedelta(minutes=30)

    def _between(self, a: datetime, b: datetime) -> datetime:
        return a + (b - a) * self.rng.random()

    def _followers(self, spec: _Spec, idea: Idea, submitted: datetime, times: list) -> None:
        if spec.state == S.DUPLICATE:
            return
        n = {S.SUBMITTED: 1, S.IN_REVIEW: 2, S.NEEDS_INFO: 1}.get(spec.state, 3)
        later = times[2] if len(times) > 2 else self.now
        for user in self.rng.sample(self._colleagues(spec), self.rng.randint(0, n)):
            db.session.add(
                Follow(
                    idea_id=idea.id,
                    user_id=user.id,
                    created_at=self._between(submitted, min(later, self.now)),
                )
            )

    def _votes(self, spec: _Spec, idea: Idea, times: list[datetime]) -> None:
        low, high = {
            S.DRAFT: (0, 0),
            S.DUPLICATE: (0, 0),  # moved to the surviving idea
            S.SUBMITTED: (0, 5),
            S.IN_REVIEW: (1, 8),
            S.NEEDS_INFO: (0, 5),
            S.ESTIMATED: (2, 10),
            S.APPROVED: (4, 13),
            S.SELECTED: (6, 13),
            S.IN_DELIVERY: (5, 13),
            S.DELIVERED: (6, 13),
            S.REJECTED: (0, 6),
            S.WITHDRAWN: (0, 3),
            S.DEFERRED: (3, 10),
        }[spec.state]
        voters = self.rng.sample(self._colleagues(spec), self.rng.randint(low, high))
        for user in voters:
            when = self._between(times[1], self._open_until(spec, times))
            db.session.add(Vote(idea_id=idea.id, user_id=user.id, created_at=when))
        idea.vote_count = len(voters)

    def _comments(self, spec: _Spec, idea: Idea, times: list[datetime]) -> None:
        if spec.state in (S.DRAFT, S.DUPLICATE):
            return
        rng = self.rng
        until = self._open_until(spec, times)
        n = rng.choice([0, 1, 1, 2, 2, 3, 4])
        people = rng.sample(self._colleagues(spec), n)
        pool = list(GENERAL_COMMENTS)
        rng.shuffle(pool)
        for user, text in zip(people, pool, strict=False):
            when = self._between(times[1], until)
            self._comment(user, idea, text.format(dept=user.department.name), when)
        extra = {
            S.APPROVED: PROGRESS_COMMENTS,
            S.SELECTED: PROGRESS_COMMENTS,
            S.IN_DELIVERY: PROGRESS_COMMENTS,
            S.DELIVERED: DELIVERED_COMMENTS,
            S.REJECTED: CLOSED_COMMENTS,
        }.get(spec.state)
        if extra and rng.random() < 0.7:
            # After the latest step: thanks for a delivery, a question about timing, ...
            if spec.state == S.REJECTED:
                author = self.users[spec.by]
            else:
                author = rng.choice(self._colleagues(spec))
            when = self._between(times[-1], self.now - timedelta(hours=2))
            text = rng.choice(extra).format(dept=author.department.name)
            self._comment(author, idea, text, when)

    # ------------------------------------------------------------- estimates

    def _periods(self, spec: _Spec) -> list[str]:
        if spec.state == S.DELIVERED:
            return [PAST_PERIOD]
        if spec.state == S.IN_DELIVERY:
            return [PAST_PERIOD, PERIODS[0]]
        span = {"S": 1, "M": self.rng.choice([1, 2]), "L": self.rng.choice([2, 3])}[spec.size]
        first = PERIODS.index(spec.start)
        return list(PERIODS[first : first + span])

    def _estimate(self, spec: _Spec, idea: Idea, brm: User, when: datetime) -> None:
        rng = self.rng
        size = spec.size
        risk = round(rng.uniform(*{"S": (0.05, 0.25), "M": (0.1, 0.4), "L": (0.2, 0.6)}[size]), 2)
        confidence = (
            Confidence.HIGH if risk < 0.2 else Confidence.MEDIUM if risk < 0.4 else Confidence.LOW
        )
        note = rng.choice(ESTIMATE_NOTES).format(dept=spec.dept)
        estimate = Estimate(
            idea=idea,
            version=1,
            is_current=True,
            author=brm,
            created_at=when,
            value_low=round(rng.uniform(0.55, 0.85), 2),
            value_likely=1.0,
            value_high=round(rng.uniform(1.15, 1.6), 2),
            risk=risk,
            confidence=confidence,
            notes=note,
        )
        for key, objective in self.objectives.items():
            if key in spec.objectives:
                impact = rng.choice([2, 3, 3, 4] if size != "S" else [2, 2, 3])
                if key == spec.objectives[0]:
                    impact = max(impact, 3)
            else:
                impact = rng.choice([0, 0, 0, 1])
            estimate.impacts.append(EstimateImpact(objective=objective, impact=impact))
        periods = self._periods(spec)
        capex_total = rng.uniform(*{"S": (30, 120), "M": (120, 450), "L": (450, 1200)}[size])
        opex = rng.uniform(*{"S": (10, 40), "M": (25, 90), "L": (60, 180)}[size])
        shares = (
            [1.0] if len(periods) == 1 else [0.6, 0.4] if len(periods) == 2 else [0.45, 0.35, 0.2]
        )
        run_periods = list(periods)
        last = PERIODS.index(periods[-1]) if periods[-1] in PERIODS else -1
        if spec.state not in (S.DELIVERED,) and last + 1 < len(PERIODS):
            run_periods.append(PERIODS[last + 1])  # licences run on after go-live
        for k, period in enumerate(run_periods):
            capex = min(600.0, capex_total * shares[k]) if k < len(periods) else 0.0
            estimate.costs.append(
                EstimateCost(
                    period=period,
                    capex=round(capex, 0) * 1000,
                    opex=round(opex * (0.5 if k == 0 else 1.0), 0) * 1000,
                )
            )
        base = {"S": (0.5, 1.5), "M": (1.0, 3.0), "L": (2.5, 6.0)}[size]
        for j, letter in enumerate(spec.pools):
            for k, period in enumerate(periods):
                fte = rng.uniform(*base) * (1.0 if j == 0 else 0.5) * (1.0 if k == 0 else 0.6)
                fte = max(0.5, round(fte * 2) / 2)
                estimate.efforts.append(
                    EstimateEffort(pool=self.pools[letter], period=period, amount=fte)
                )
        db.session.add(estimate)
        self.estimates[spec.key] = estimate
        record(
            brm,
            "estimate_saved",
            estimate,
            idea=idea,
            after={"version": 1, "total_cost": estimate.total_cost, "risk": risk},
        )
        self._stamp(when)
        if rng.random() < 0.5:
            leader = self.departments[spec.dept].leader_name
            self._comment(
                brm,
                idea,
                f"Estimate reviewed with {leader}. {note}",
                when + timedelta(minutes=10),
            )

    def _delivery_results(self, spec: _Spec, idea: Idea, delivered: datetime) -> None:
        rng = self.rng
        pm = self.users["pm"]
        estimate = self.estimates[spec.key]
        recorded = min(delivered + timedelta(days=rng.randint(7, 30)), self.now)
        overrun = rng.uniform(0.85, 1.3)
        for cost in estimate.costs:
            db.session.add(
                ActualCost(
                    idea_id=idea.id,
                    period=cost.period,
                    capex=round(cost.capex * overrun, -3),
                    opex=round(cost.opex * rng.uniform(0.9, 1.15), -3),
                    recorded_by_id=pm.id,
                    recorded_at=recorded,
                )
            )
        impacts = {i.objective.id: i.impact for i in estimate.impacts}
        expected = strategic_value(impacts, self._weights()) * estimate.value_likely
        measurements = [
            (60, "First measurement after go-live; adoption still growing."),
            (150, "Six-month review with the department leader."),
        ]
        factor = rng.uniform(0.65, 1.1)
        for days, note in measurements:
            as_of = delivered + timedelta(days=days)
            if as_of > self.now - timedelta(days=3):
                break
            factor = min(1.25, factor * rng.uniform(1.0, 1.2)) if days > 60 else factor
            db.session.add(
                RealizedValue(
                    idea_id=idea.id,
                    value=round(expected * factor, 1),
                    as_of=as_of.date(),
                    note=note,
                    recorded_by_id=pm.id,
                    recorded_at=as_of + timedelta(days=2),
                )
            )

    def _spend_to_date(self, spec: _Spec, idea: Idea) -> None:
        estimate = self.estimates[spec.key]
        current = next(c for c in estimate.costs if c.period == PAST_PERIOD)
        share = self.rng.uniform(0.55, 0.9)
        db.session.add(
            ActualCost(
                idea_id=idea.id,
                period=PAST_PERIOD,
                capex=round(current.capex * share, -3),
                opex=round(current.opex * share, -3),
                recorded_by_id=self.users["pm"].id,
                recorded_at=self.now - timedelta(days=self.rng.randint(5, 20)),
            )
        )

    def _weights(self) -> dict[int, float]:
        if not hasattr(self, "weights"):
            self.weights = active_weights()
        return self.weights

    # ------------------------------------------------------- links and the rest

    def _links(self) -> None:
        for source, target, kind, note in LINKS:
            a, b = self.ideas[source], self.ideas[target]
            brm = self._brm_for(a.department.name)
            when = max(self.times[source]["created"], self.times[target]["created"])
            when = self._between(when, self.now - timedelta(days=1))
            db.session.add(
                IdeaLink(
                    source_id=a.id,
                    target_id=b.id,
                    kind=kind,
                    note=note,
                    created_by_id=brm.id,
                    created_at=when,
                )
            )

    def _touchpoints(self) -> None:
        for brm, dept, days_ago, kind, notes, keys in TOUCHPOINTS:
            held = self._office_hours(self.now - timedelta(days=days_ago))
            db.session.add(
                Touchpoint(
                    brm=self.users[brm],
                    department=self.departments[dept],
                    held_on=held.date(),
                    kind=kind,
                    notes=notes,
                    created_at=held + timedelta(hours=2),
                    ideas=[self.ideas[k] for k in keys],
                )
            )

    def _finish(self) -> None:
        """Read the older notifications, and date each idea's last change."""
        db.session.flush()
        for note in db.session.scalars(sa.select(Notification)):
            if note.created_at < self.now - timedelta(days=10):
                note.read_at = note.created_at + timedelta(hours=self.rng.randint(1, 72))
        for key, idea in self.ideas.items():
            idea.updated_at = max(self.times[key].values())
        db.session.flush()

    # ------------------------------------------------------------- portfolio

    def _portfolio(self) -> None:
        """The next plan: a scenario and a leaner what-if, each with a finished run.

        Both are saved and run through the portfolio service (the same validation, frozen
        problem and optimizer as the portfolio pages), solved right here rather than in
        the background. Neither run is adopted: the ideas selected earlier stay selected.
        """
        from portal.portfolio import service  # the portfolio package imports the demo's models

        pm = self.users["pm"]
        pool_ids = {pool.id: key for key, pool in self.pools.items()}
        settings = {
            "name": SCENARIO_NAME,
            "description": (
                "The approved and deferred ideas against next year's IT budget and the "
                "pools' capacities, with at least 10% of the spend for Customer Service."
            ),
            "periods": list(PERIODS),
            "budget": dict(SCENARIO_BUDGET),
            "capacity": {
                str(pool_id): dict(zip(PERIODS, POOLS[key][2], strict=True))
                for pool_id, key in sorted(pool_ids.items())
            },
            "candidate_filter": {
                "states": [IdeaStatus.APPROVED.value, IdeaStatus.DEFERRED.value],
                "department_ids": [],
                "objective_ids": [],
            },
            "department_shares": {
                str(self.departments[name].id): share for name, share in SCENARIO_SHARES.items()
            },
            "theme_min_shares": {},
            "count_min": None,
            "count_max": None,
            "force_in": [],
            "force_out": [],
            "start_later": {},
            "apply_requires": True,
            "apply_excludes": True,
            "apply_together": True,
            "objective": ScenarioObjective.VALUE,
            **SOLVER,
        }
        # Worked out over the last two days, after the current plan was adopted.
        made = [self.now - timedelta(days=2, hours=3), self.now - timedelta(days=1, hours=5)]
        with _inline_runs():
            base = service.save_scenario(None, settings, pm)
            db.session.commit()
            service.start_run(base, pm)
            self._stamp(made[0])
            leaner = service.clone_scenario(base, pm)
            service.save_scenario(
                leaner,
                {
                    **settings,
                    "name": f"{SCENARIO_NAME}, budget -{LEANER_BY:.0%}",
                    "description": f"The same question with {LEANER_BY:.0%} less budget "
                    "in every year: what would we give up?",
                    "budget": {p: v * (1 - LEANER_BY) for p, v in SCENARIO_BUDGET.items()},
                },
                pm,
            )
            db.session.commit()
            service.start_run(leaner, pm)
            self._stamp(made[1])
        for when, scenario in zip(made, (base, leaner), strict=True):
            scenario.created_at = scenario.updated_at = when
            for run in scenario.runs:
                took = (run.finished_at or run.created_at) - run.created_at
                run.created_at = run.started_at = when + timedelta(minutes=20)
                run.finished_at = run.created_at + took
        db.session.commit()

    def _summary(self) -> dict:
        def count(model) -> int:
            return db.session.scalar(sa.select(sa.func.count()).select_from(model))

        return {
            "departments": count(Department),
            "users": count(User),
            "objectives": count(StrategicObjective),
            "resource pools": count(ResourcePool),
            "ideas": count(Idea),
            "estimates": count(Estimate),
            "votes": count(Vote),
            "comments": count(Comment),
            "links": count(IdeaLink),
            "touchpoints": count(Touchpoint),
            "notifications": count(Notification),
            "scenarios": count(Scenario),
            "runs": count(Run),
        }


@contextmanager
def _inline_runs():
    """Solve runs in the calling process while the demo loads, with fixed settings."""
    config = current_app.config
    saved = {key: config.get(key, _MISSING) for key in DEMO_RUN_CONFIG}
    config.update(DEMO_RUN_CONFIG)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is _MISSING:
                config.pop(key, None)
            else:
                config[key] = value


_MISSING = object()
