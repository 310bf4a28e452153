"""What an idea must say: the field rules the form, the API, the CSV import and the ideas
service all apply (required fields and their lengths), written once."""

from collections.abc import Mapping
from dataclasses import dataclass

# The longest text a person writes into one field of an idea or a comment.
TEXT_LIMIT = 5000


@dataclass(frozen=True)
class TextRule:
    """A required text field of an idea, between `min_length` and `max_length` characters;
    `label` is its name as the form shows it."""

    field: str
    label: str
    min_length: int = 1
    max_length: int = TEXT_LIMIT

    @property
    def missing(self) -> str:
        return f"{self.label} is required."

    def problem(self, text: str | None, required: bool = True) -> str | None:
        """What is wrong with the (stripped) text, in a sentence naming the field by its
        label, or None. Not `required` (a draft's text), it may be empty but not too long."""
        text = (text or "").strip()
        if not text:
            return self.missing if required else None
        if len(text) < self.min_length:
            return f"{self.label} needs at least {self.min_length} characters."
        if len(text) > self.max_length:
            return (
                f"{self.label} has at most {self.max_length:,} characters; "
                f"this text has {len(text):,}."
            )
        return None


TITLE = TextRule("title", "Title", min_length=5, max_length=200)
PROBLEM = TextRule("problem", "Problem")
PROPOSAL = TextRule("proposal", "Proposal")
EXPECTED_BENEFIT = TextRule("expected_benefit", "Expected benefit")
IDEA_TEXT = (TITLE, PROBLEM, PROPOSAL, EXPECTED_BENEFIT)
COMMENT = TextRule("body", "Comment")


# A draft can be parked with only its title; submitting it needs every field.
DRAFT_REQUIRED = (TITLE,)


def idea_problems(values: Mapping[str, str | None], draft: bool = False) -> dict[str, str]:
    """Every idea text field that breaks its rule: {field: problem}, in the fields' order.
    For a `draft` only DRAFT_REQUIRED fields must be there (none may be too long)."""
    found = {
        rule.field: rule.problem(values.get(rule.field), not draft or rule in DRAFT_REQUIRED)
        for rule in IDEA_TEXT
    }
    return {name: problem for name, problem in found.items() if problem}


def submit_problems(idea) -> str | None:
    """Why the draft `idea` cannot be submitted yet (its missing or bad fields), or None."""
    problems = idea_problems({rule.field: getattr(idea, rule.field) for rule in IDEA_TEXT})
    if not problems:
        return None
    return "Before submitting: " + " ".join(problems.values())
