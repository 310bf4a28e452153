"""What a campaign's extra idea fields may be and what an answer to them must be, written
once: the campaign form and API read field specs through `parse_fields`, and the idea form,
the ideas service and the API check answers through `answer_problems`."""

import math
import re
from collections.abc import Mapping

from portal.models import FieldKind

MAX_FIELDS = 5
LABEL_LIMIT = 80
ANSWER_LIMIT = 500
MAX_CHOICES = 12
FIELDS_HELP = (
    "One field per line, at most 5: 'Label: text', 'Label: number' or "
    "'Label: choice A / B / C'. End a line with ' *' to make the field required."
)
_LINE = re.compile(r"^(?P<label>[^:]+):\s*(?P<kind>text|number|choice)\b(?P<rest>.*)$", re.I)


def field_key(label: str) -> str:
    """A stable key for a field: its label in lower case, words joined by '_'."""
    return "_".join(re.findall(r"[a-z0-9]+", label.lower()))[:40] or "field"


def parse_fields(text: str) -> tuple[list[dict], list[str]]:
    """The field specs written one per line, and every problem found (by line)."""
    fields, problems = [], []
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) > MAX_FIELDS:
        problems.append(f"At most {MAX_FIELDS} extra fields ({len(lines)} given).")
    for number, line in enumerate(lines[:MAX_FIELDS], start=1):
        required = line.endswith("*")
        line = line.rstrip("*").strip()
        match = _LINE.match(line)
        if not match:
            problems.append(
                f"Line {number}: write 'Label: text', 'Label: number' or 'Label: choice A / B'."
            )
            continue
        label = match["label"].strip()
        kind = FieldKind(match["kind"].lower())
        choices = [c.strip() for c in match["rest"].split("/") if c.strip()]
        if len(label) > LABEL_LIMIT:
            problems.append(f"Line {number}: a label has at most {LABEL_LIMIT} characters.")
        elif kind == FieldKind.CHOICE and not 2 <= len(choices) <= MAX_CHOICES:
            problems.append(
                f"Line {number}: a choice needs 2 to {MAX_CHOICES} options, e.g. 'choice A / B'."
            )
        elif kind != FieldKind.CHOICE and choices:
            problems.append(f"Line {number}: only a choice field lists options.")
        elif any(len(c) > LABEL_LIMIT for c in choices):
            problems.append(f"Line {number}: an option has at most {LABEL_LIMIT} characters.")
        elif field_key(label) in {f["key"] for f in fields}:
            problems.append(f"Line {number}: two fields are called '{label}'.")
        else:
            fields.append(
                {"key": field_key(label), "label": label, "kind": kind.value,
                 "choices": choices, "required": required}
            )  # fmt: skip
    return fields, problems


def fields_text(fields: list[dict]) -> str:
    """Field specs written back as the form's lines (for editing)."""
    lines = []
    for f in fields or []:
        options = (" " + " / ".join(f["choices"])) if f["kind"] == FieldKind.CHOICE else ""
        lines.append(f"{f['label']}: {f['kind']}{options}{' *' if f.get('required') else ''}")
    return "\n".join(lines)


def _answer(spec: dict, raw) -> tuple[object, str | None]:
    """(the clean value or None, the problem or None) of one answer."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None, (
            f"{spec['label']}: this campaign asks for an answer." if spec.get("required") else None
        )
    if spec["kind"] == FieldKind.NUMBER:
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            return None, f"{spec['label']}: write a number, e.g. 12 or 3.5."
        if not math.isfinite(number) or abs(number) > 1e12:
            return None, f"{spec['label']}: that number is out of range."
        return (int(number) if number.is_integer() else number), None
    if spec["kind"] == FieldKind.CHOICE:
        if text not in spec["choices"]:
            return None, f"{spec['label']}: choose one of {', '.join(spec['choices'])}."
        return text, None
    if len(text) > ANSWER_LIMIT:
        return None, f"{spec['label']}: at most {ANSWER_LIMIT} characters."
    return text, None


def clean_answers(fields: list[dict], raw: Mapping[str, object]) -> tuple[dict, dict[str, str]]:
    """The answers to keep ({key: value}, unanswered optional fields left out) and every
    problem by field key. Answers to fields the campaign does not have are ignored."""
    answers, problems = {}, {}
    for spec in fields or []:
        value, problem = _answer(spec, raw.get(spec["key"]))
        if problem:
            problems[spec["key"]] = problem
        elif value is not None:
            answers[spec["key"]] = value
    return answers, problems


def envelope_problem(
    envelope: float | None, budget: Mapping[str, float], periods: list
) -> str | None:
    """Why a scenario's budgets do not fit a campaign's envelope, or None: with an envelope,
    every period has a budget and together they stay within it."""
    if envelope is None:
        return None
    missing = [p for p in periods or [] if p not in (budget or {})]
    if missing:
        return (f"The campaign has a budget envelope of {envelope:,.0f}: give every period a "
                f"budget ({', '.join(missing)} has none).")  # fmt: skip
    total = sum(float(v) for v in (budget or {}).values())
    if total > envelope + 1e-6:
        return (f"The budgets add up to {total:,.0f}, more than the campaign's envelope of "
                f"{envelope:,.0f}.")  # fmt: skip
    return None
