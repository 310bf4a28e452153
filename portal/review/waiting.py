"""How long an idea under review has waited: the one rule of the review queue (its age,
"overdue" and the overdue filter) and the department leader's page (waiting N days).

An idea waits for one thing at a time (`workflow.WAITS`: review, an answer from its
submitter, a decision) since it came into it from outside it, which `workflow.apply`
stamps (`Idea.waiting_since`; `Idea.waited_since` falls back to its submission). So a BRM
claiming a submitted idea does not restart its wait for review, while the submitter's
answer does: from then on the idea waits for the reviewer again, and the time it spent
with its submitter is not the reviewer's.
"""

from datetime import datetime


def days_waited(since: datetime, now: datetime) -> int:
    """Whole days waited by `now` since `since` (an idea's `waited_since`)."""
    return max(0, (now - since).days)
