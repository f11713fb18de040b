"""Hours a scheduled scaling leaves: Application Auto Scaling cron schedules over one year.

A service's bounds change when its scheduled actions fire (`cron(...)` in the schedule's time zone).
Walking one whole year of firings gives, for every bound the schedules set, the hours per month it
holds; a monthly figure then needs no guess at how many weekdays a month has.

Times are wall-clock times in the schedule's zone: a daylight-saving shift moves an hour between two
periods twice a year, which is below what a monthly estimate can resolve.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

HOURS_PER_MONTH = 730.0
"""AWS's own monthly figure (365 days x 24 h / 12), used by every AWS price page."""

_YEAR = 2025  # any non-leap year: 8760 hours, 12 x 730
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # AWS cron: 1 = SUN ... 7 = SAT
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_CRON = re.compile(r"cron\((.+)\)")


class ScheduleError(ValueError):
    """A schedule expression the estimate cannot evaluate: named with the reason, never priced as 0."""


def _field(text: str, low: int, high: int, names: Sequence[str] = (), offset: int = 1) -> set[int]:
    """Values of one cron field; `*` and `?` are every value. Names map to offset-based numbers."""

    def number(token: str) -> int:
        upper = token.upper()
        if upper in names:
            return names.index(upper) + offset
        if not token.isdigit():
            raise ScheduleError(f"unsupported cron token {token!r}")
        return int(token)

    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if body in ("*", "?"):
            start, end = low, high
        elif "-" in body:
            first, last = body.split("-", 1)
            start, end = number(first), number(last)
        else:
            start = number(body)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or step < 1:
            raise ScheduleError(f"cron field {text!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def firings(expression: str, year: int = _YEAR) -> list[datetime]:
    """Every time `cron(minutes hours day-of-month month day-of-week year)` fires in `year`."""
    match = _CRON.fullmatch(expression.strip())
    if not match:
        raise ScheduleError(
            f"schedule {expression!r} is not a cron(...) expression; the estimate reads only cron schedules"
        )
    fields = match.group(1).split()
    if len(fields) != 6:
        raise ScheduleError(f"schedule {expression!r} needs 6 fields (minutes hours dom month dow year)")
    minute_f, hour_f, dom_f, month_f, dow_f, year_f = fields
    if any(mark in field for field in fields for mark in ("L", "W", "#")):
        raise ScheduleError(f"schedule {expression!r}: L, W and # are not evaluated by the estimate")
    if year_f not in ("*", "?") and year not in _field(year_f, 1970, 2199):
        return []
    minutes = sorted(_field(minute_f, 0, 59))
    hours = sorted(_field(hour_f, 0, 23))
    months = _field(month_f, 1, 12, _MONTHS)
    days_of_month = _field(dom_f, 1, 31)
    days_of_week = _field(dow_f, 1, 7, _DAYS)
    result = []
    day = date(year, 1, 1)
    while day.year == year:
        aws_dow = (day.isoweekday() % 7) + 1  # isoweekday: MON=1..SUN=7 -> AWS SUN=1..SAT=7
        if day.month in months and day.day in days_of_month and aws_dow in days_of_week:
            result += [datetime(year, day.month, day.day, h, m) for h in hours for m in minutes]
        day += timedelta(days=1)
    return result


@dataclass(frozen=True)
class Bounds:
    minimum: int
    maximum: int


@dataclass(frozen=True)
class ScheduledBounds:
    schedule: str
    minimum: int | None
    maximum: int | None
    """What the action sets; None leaves that bound as it was."""


def hours_at_bounds(base: Bounds, actions: Iterable[ScheduledBounds]) -> dict[Bounds, float]:
    """Hours per month at each pair of bounds, starting from `base` and applying `actions` as they
    fire. The year wraps around: the state on 1 January is the one the last firing left."""
    events = sorted(
        (when, index, action) for index, action in enumerate(actions) for when in firings(action.schedule)
    )
    if not events:
        return {base: HOURS_PER_MONTH}

    def apply(state: Bounds, action: ScheduledBounds) -> Bounds:
        return Bounds(
            state.minimum if action.minimum is None else action.minimum,
            state.maximum if action.maximum is None else action.maximum,
        )

    state = base
    for _, _, action in events:
        state = apply(state, action)
    start = datetime(_YEAR, 1, 1)
    end = datetime(_YEAR + 1, 1, 1)
    hours: dict[Bounds, float] = {}
    previous = start
    for when, _, action in events:
        hours[state] = hours.get(state, 0.0) + (when - previous).total_seconds() / 3600
        state = apply(state, action)
        previous = when
    hours[state] = hours.get(state, 0.0) + (end - previous).total_seconds() / 3600
    # _YEAR has 8760 hours, twelve months of HOURS_PER_MONTH.
    return {bounds: h / 12 for bounds, h in hours.items() if h > 0}
