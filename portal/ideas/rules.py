"""What an idea must say: the field rules the form, the API, the CSV import and the ideas
service all apply (required fields and their lengths), written once."""

from collections.abc import Mapping
from dataclasses import dataclass

# The longest text a person writes into one field of an idea or a comment.
TEXT_LIMIT = 5000


@dataclass(frozen=True)
class TextRule:
    """A required text field of an idea, between `min_length` and `max_length` characters."""

    field: str
    min_length: int = 1
    max_length: int = TEXT_LIMIT

    def problem(self, text: str | None) -> str | None:
        """What is wrong with the (stripped) text, in a sentence naming the field, or None."""
        text = (text or "").strip()
        if not text:
            return f"missing {self.field}"
        if len(text) < self.min_length:
            return f"{self.field} too short (at least {self.min_length} characters)"
        if len(text) > self.max_length:
            return f"{self.field} too long ({len(text)} characters, at most {self.max_length})"
        return None


TITLE = TextRule("title", min_length=5, max_length=200)
PROBLEM = TextRule("problem")
PROPOSAL = TextRule("proposal")
EXPECTED_BENEFIT = TextRule("expected_benefit")
IDEA_TEXT = (TITLE, PROBLEM, PROPOSAL, EXPECTED_BENEFIT)
COMMENT = TextRule("body")


def idea_problems(values: Mapping[str, str | None]) -> dict[str, str]:
    """Every idea text field that breaks its rule: {field: problem}, in the fields' order."""
    found = {rule.field: rule.problem(values.get(rule.field)) for rule in IDEA_TEXT}
    return {name: problem for name, problem in found.items() if problem}
