"""Planning periods: a year (2027), a half (2027-H2), a quarter (2027-Q1) or a month (2027-03).

`Period` is the one value type for them. Estimates, actual costs, pool capacities and the CSV
import accept a period only in its canonical form (`Period.parse`); the dashboards' filters
read labels leniently (`Period.read`: "2027q1" is the first quarter of 2027) and keep a label
that names no dates (a scenario may plan in "Phase-1"). Scenario periods are names
(`is_period_name`): usually a calendar period, but any short name is allowed.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import total_ordering

from portal.errors import PortalError

HELP = "a year such as 2027, or 2027-Q1, 2027-H2 or 2027-03"
FIRST_YEAR, LAST_YEAR = 1900, 2199  # what a planning period can be in; outside it is a typo

# One reading for every form; the canonical text is what `label` writes back.
_FORM = re.compile(r"^(\d{4})(?:-?(?:([QqHh])([1-4])|(\d{2})))?$")
_MONTHS_IN = {"Q": 3, "H": 6}
# A scenario's period name: letters, digits, . _ / - (at most 20 characters).
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,19}$")


class PeriodError(PortalError):
    """The text names no planning period; the message says what would."""


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@total_ordering
@dataclass(frozen=True)
class Period:
    """A calendar span [start, end) of whole months; ordered by start, then the longer first."""

    start: date
    months: int
    end: date = field(init=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "end", add_months(self.start, self.months))

    def __lt__(self, other: "Period") -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return (self.start, -self.months) < (other.start, -other.months)

    @classmethod
    def read(cls, text: str | None) -> "Period | None":
        """The period a label names in any accepted spelling, or None when it names none."""
        match = _FORM.match((text or "").strip())
        if not match:
            return None
        year, letter, number, month = match.groups()
        if int(year) < 1:
            return None
        if letter:
            size = _MONTHS_IN[letter.upper()]
            if letter.upper() == "H" and int(number) > 2:
                return None
            return cls(date(int(year), (int(number) - 1) * size + 1, 1), size)
        if month:
            if not 1 <= int(month) <= 12:
                return None
            return cls(date(int(year), int(month), 1), 1)
        return cls(date(int(year), 1, 1), 12)

    @classmethod
    def parse(cls, text: str | None) -> "Period":
        """The period `text` names in canonical form (2027, 2027-Q1, 2027-H2, 2027-03)."""
        period = cls.read(text)
        if period is None or period.label != text or not FIRST_YEAR <= period.year <= LAST_YEAR:
            raise PeriodError(f"'{text}' is not a period: use {HELP}.")
        return period

    @classmethod
    def is_valid(cls, text: str | None) -> bool:
        """Whether `text` is a period in canonical form (see `parse`)."""
        try:
            cls.parse(text)
        except PeriodError:
            return False
        return True

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def kind(self) -> str:
        return {12: "year", 6: "half", 3: "quarter", 1: "month"}[self.months]

    @property
    def label(self) -> str:
        """The canonical text: 2027, 2027-H2, 2027-Q1 or 2027-03."""
        if self.months == 12:
            return str(self.year)
        if self.months == 1:
            return f"{self.year}-{self.start.month:02d}"
        letter = "H" if self.months == 6 else "Q"
        return f"{self.year}-{letter}{(self.start.month - 1) // self.months + 1}"

    @property
    def title(self) -> str:
        """How a person reads it: 2027, H2 2027, Q1 2027, 2027-03."""
        if self.months in (3, 6):
            year, part = self.label.split("-")
            return f"{part} {year}"
        return self.label

    def month_starts(self) -> list[date]:
        """The first day of each month the period covers."""
        return [add_months(self.start, n) for n in range(self.months)]

    def contains(self, moment: date | datetime) -> bool:
        """Whether a day (or the day of a moment) falls in the period."""
        day = moment.date() if isinstance(moment, datetime) else moment
        return self.start <= day < self.end

    def overlaps(self, start: date | None, end: date | None) -> bool:
        """Whether the period shares a day with [start, end); None leaves that side open."""
        return (start is None or start < self.end) and (end is None or self.start < end)

    def __str__(self) -> str:
        return self.label


def is_period(text: str | None) -> bool:
    """Whether `text` is a planning period in canonical form (2027, 2027-Q1, 2027-H2, 2027-03)."""
    return Period.is_valid(text)


def is_period_name(text: str | None) -> bool:
    """Whether `text` may name a scenario's period (letters, digits, . _ / -; 20 at most)."""
    return isinstance(text, str) and bool(NAME_PATTERN.match(text))


def sort_key(label: str) -> tuple:
    """Orders labels in time (calendar periods first, by start, the longer first), then names."""
    period = Period.read(label)
    if period is None:
        return (1, date.max, 0, label)
    return (0, period.start, -period.months, label)


def within(label: str, start: date | None, end: date | None) -> bool:
    """Whether a plan label falls in the filter [start, end); a label naming no dates does."""
    period = Period.read(label)
    return True if period is None else period.overlaps(start, end)
