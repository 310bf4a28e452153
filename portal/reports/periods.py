"""The period filter every dashboard shares: all time, the last 12 months, or a planning
period (a year, a half, a quarter or a month; see `portal.periods.Period`).

A filter is a half-open date range [start, end). Plan periods (scenario labels such as
"2027", "2027-H2", "2027-Q2" or "2027-05") are matched by overlap; a label that names no
dates (e.g. "Phase 1") is always kept.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from portal import periods
from portal.periods import Period, PeriodError

__all__ = ["ALL_TIME", "PeriodError", "PeriodFilter", "parse_period", "period_choices"]


@dataclass(frozen=True)
class PeriodFilter:
    """What a dashboard shows: all time, the last 12 months, or one planning `Period`."""

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
        """Whether a plan period label ("2027", "2027-Q1", "2027-H2", "2027-05") falls in this
        filter; a label that names no dates ("Phase-1") always does."""
        return periods.within(label, self.start, self.end)


ALL_TIME = PeriodFilter("", "All time")


def current_quarter(today: date) -> PeriodFilter:
    """The filter for the quarter holding `today`."""
    quarter = (today.month - 1) // 3 + 1
    return parse_period(f"{today.year}-Q{quarter}", today)


def parse_period(key: str | None, today: date) -> PeriodFilter:
    """Turn a filter key into a PeriodFilter; raise PeriodError when it means nothing."""
    key = (key or "").strip()
    if not key or key == "all":
        return ALL_TIME
    if key == "12m":
        start = periods.add_months(today, -11)
        return PeriodFilter("12m", "Last 12 months", start, today + timedelta(days=1))
    period = Period.read(key)
    if period is None:
        raise PeriodError(
            f"Unknown period '{key}'. Use a year (2026), a quarter (2026-Q2), "
            "a half (2026-H2), a month (2026-05), 12m or all."
        )
    return PeriodFilter(period.label, period.title, period.start, period.end)


def period_choices(
    today: date, first_year: int | None, last_year: int | None
) -> list[PeriodFilter]:
    """The periods offered in the filter: all time, 12 months, years, recent quarters."""
    first = min(first_year or today.year, today.year - 1)
    last = max(last_year or today.year, today.year)
    options = [ALL_TIME, parse_period("12m", today)]
    options += [parse_period(str(y), today) for y in range(last, first - 1, -1)]
    for year in (today.year, today.year - 1):
        for quarter in (4, 3, 2, 1):
            if Period.read(f"{year}-Q{quarter}").start <= today:
                options.append(parse_period(f"{year}-Q{quarter}", today))
    return options


def month_ends(end: date, count: int = 12) -> list[tuple[str, datetime]]:
    """The `count` months up to the one holding `end`: (label "YYYY-MM", start of next month)."""
    first = periods.add_months(end, 1 - count)
    months = [Period(periods.add_months(first, n), 1) for n in range(count)]
    return [(m.label, datetime.combine(m.end, datetime.min.time())) for m in months]
