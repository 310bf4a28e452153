"""The period filter every dashboard shares: all time, the last 12 months, a year, a quarter.

A period is a half-open date range [start, end). Plan periods (scenario labels such as
"2027", "2027-Q2" or "2027-05") are matched by overlap; a label that names no dates
(e.g. "Phase 1") is always kept.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from portal.errors import PortalError

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(PortalError):
    """The period key is not understood (HTTP 400)."""


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    start: date | None = None
    end: date | None = None  # exclusive

    @property
    def bounded(self) -> bool:
        return self.start is not None or self.end is not None

    def contains(self, moment: date | datetime | None) -> bool:
        if moment is None:
            return not self.bounded
        day = moment.date() if isinstance(moment, datetime) else moment
        if self.start is not None and day < self.start:
            return False
        return self.end is None or day < self.end

    def overlaps(self, start: date, end: date) -> bool:
        """Whether [start, end) shares a day with this period."""
        if self.start is not None and end <= self.start:
            return False
        return self.end is None or start < self.end

    def overlaps_label(self, label: str) -> bool:
        """Whether a plan period label ("2027", "2027-Q1", "2027-05") falls in this period."""
        span = label_span(label)
        return True if span is None else self.overlaps(*span)


ALL_TIME = Period("", "All time")


def _quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * (quarter - 1) + 1, 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def label_span(label: str) -> tuple[date, date] | None:
    """The dates a period label names, or None when it names none."""
    text = (label or "").strip()
    if m := _YEAR.match(text):
        year = int(m.group(1))
        return date(year, 1, 1), date(year + 1, 1, 1)
    if m := _QUARTER.match(text):
        start = _quarter_start(int(m.group(1)), int(m.group(2)))
        return start, _add_months(start, 3)
    if (m := _MONTH.match(text)) and 1 <= int(m.group(2)) <= 12:
        start = date(int(m.group(1)), int(m.group(2)), 1)
        return start, _add_months(start, 1)
    return None


def current_quarter(today: date) -> Period:
    quarter = (today.month - 1) // 3 + 1
    return parse_period(f"{today.year}-Q{quarter}", today)


def parse_period(key: str | None, today: date) -> Period:
    """Turn a filter key into a Period; raise PeriodError when it means nothing."""
    key = (key or "").strip()
    if not key or key == "all":
        return ALL_TIME
    if key == "12m":
        start = _add_months(date(today.year, today.month, 1), -11)
        return Period("12m", "Last 12 months", start, today + timedelta(days=1))
    span = label_span(key)
    if span is None:
        raise PeriodError(
            f"Unknown period '{key}'. Use a year (2026), a quarter (2026-Q2), "
            "a month (2026-05), 12m or all."
        )
    if _QUARTER.match(key):
        m = _QUARTER.match(key)
        key = f"{m.group(1)}-Q{m.group(2)}"
        label = f"Q{m.group(2)} {m.group(1)}"
    else:
        label = key
    return Period(key, label, *span)


def period_choices(today: date, first_year: int | None, last_year: int | None) -> list[Period]:
    """The periods offered in the filter: all time, 12 months, years, recent quarters."""
    first = min(first_year or today.year, today.year - 1)
    last = max(last_year or today.year, today.year)
    options = [ALL_TIME, parse_period("12m", today)]
    options += [parse_period(str(y), today) for y in range(last, first - 1, -1)]
    for year in (today.year, today.year - 1):
        for quarter in (4, 3, 2, 1):
            if _quarter_start(year, quarter) <= today:
                options.append(parse_period(f"{year}-Q{quarter}", today))
    return options


def month_ends(end: date, count: int = 12) -> list[tuple[str, datetime]]:
    """The `count` months up to the one holding `end`: (label "YYYY-MM", start of next month)."""
    first_of_month = date(end.year, end.month, 1)
    months = []
    for back in range(count - 1, -1, -1):
        start = _add_months(first_of_month, -back)
        months.append(
            (
                f"{start.year}-{start.month:02d}",
                datetime.combine(_add_months(start, 1), datetime.min.time()),
            )
        )
    return months
