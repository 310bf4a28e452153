"""Campaign factories."""

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import Campaign, utcnow

FIELDS = [
    {"key": "invoices_per_month", "label": "Invoices per month", "kind": "number",
     "choices": [], "required": True},
    {"key": "team", "label": "Team", "kind": "choice", "choices": ["Billing", "Collections"],
     "required": False},
]  # fmt: skip


@pytest.fixture
def make_campaign(app, pm):
    """A campaign; `state` is reached through its dates and the sponsor's marks."""

    def make(state: str = "open", *, sponsor=None, departments=(), **fields) -> Campaign:
        today = utcnow().date()
        unpublished = fields.pop("unpublished", state == "draft")
        opens, closes = today - timedelta(days=5), today + timedelta(days=10)
        if state == "draft":
            opens = today + timedelta(days=3)
        if state in ("closed", "decided"):
            closes = today - timedelta(days=1)
        campaign = Campaign(
            title=fields.pop("title", "Cut invoice-to-cash time"),
            question=fields.pop("question", "How can we get paid 20% faster?"),
            context=fields.pop("context", "Cash matters."),
            sponsor=sponsor or pm,
            opens_on=fields.pop("opens_on", opens),
            closes_on=fields.pop("closes_on", closes),
            fields=fields.pop("fields", FIELDS),
            published_at=None if unpublished else utcnow(),
            decided_at=utcnow() if state == "decided" else None,
            **fields,
        )
        campaign.departments = list(departments)
        db.session.add(campaign)
        db.session.commit()
        return campaign

    return make
