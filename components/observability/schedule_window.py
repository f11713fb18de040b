"""The hours of the week a nightly schedule wants web tasks, and that fact as CloudWatch metric math.

The no-healthy-hosts alarm must stay quiet while the schedule holds web at zero. CloudWatch metric
math gives every data point's UTC weekday and hour (`DAY(m)`: 1 = Monday ... 7 = Sunday; `HOUR(m)`:
0-23), so an alarm can know the schedule's hours itself, without reading the desired task count
from Container Insights.

The window is worked out over one whole year of the two schedules, in their time zone, then turned
into UTC weekly slots: a slot counts as wanted only when web is wanted through all of it, and for
`GRACE` before it, in every week of the year. Daylight-saving shifts therefore shrink the window
rather than let the alarm fire at night, and the first hour after a scale-up (tasks starting, health
checks passing) is never judged. A schedule this module cannot read (rate(), at(), L/W/#, a year
field) gives None: the alarm then needs Container Insights, and settings say so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

Slot = tuple[int, int]
"""(ISO weekday 1 = Monday ... 7 = Sunday, UTC hour 0-23), as CloudWatch's DAY() and HOUR() give."""

GRACE = timedelta(minutes=15)
MAX_EXPRESSION = 2048  # MetricDataQuery.Expression's length limit (CloudWatch API reference)
_YEAR = 2025  # any year; a whole one, so every daylight-saving shift is seen
_CRON = re.compile(r"cron\(([^()]+)\)")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # AWS cron: 1 = SUN ... 7 = SAT
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def _values(text: str, low: int, high: int, names: Sequence[str] = ()) -> set[int] | None:
    def number(token: str) -> int | None:
        if token.upper() in names:
            return names.index(token.upper()) + 1
        return int(token) if token.isdigit() else None

    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        if step_text and not step_text.isdigit():
            return None
        step = int(step_text or 1)
        if body in ("*", "?"):
            start, end = low, high
        else:
            first, _, last = body.partition("-")
            begin, finish = number(first), number(last) if last else None
            if begin is None or (last and finish is None):
                return None
            start = begin
            end = finish if finish is not None else (high if step_text else begin)
        if step < 1 or not (low <= start <= end <= high):
            return None
        values.update(range(start, end + 1, step))
    return values


def _firings(expression: str, zone: ZoneInfo) -> list[datetime] | None:
    """UTC times `cron(...)` fires during _YEAR (plus the last days of the year before), or None."""
    match = _CRON.fullmatch(expression.strip())
    if not match or any(mark in match.group(1) for mark in ("L", "W", "#")):
        return None
    fields = match.group(1).split()
    if len(fields) != 6 or fields[5] not in ("*", "?"):
        return None
    parsed = [
        _values(fields[0], 0, 59),
        _values(fields[1], 0, 23),
        _values(fields[2], 1, 31),
        _values(fields[3], 1, 12, _MONTHS),
        _values(fields[4], 1, 7, _DAYS),
    ]
    if any(p is None for p in parsed):
        return None
    minutes, hours, days, months, weekdays = (sorted(p or ()) for p in parsed)
    result = []
    day = date(_YEAR - 1, 12, 24)
    while day.year <= _YEAR:
        aws_weekday = day.isoweekday() % 7 + 1
        if day.month in months and day.day in days and aws_weekday in weekdays:
            for hour in hours:
                for minute in minutes:
                    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                    result.append(local.astimezone(UTC))
        day += timedelta(days=1)
    return result


@cache
def wanted_slots(scale_down: str, scale_up: str, timezone: str) -> frozenset[Slot] | None:
    """The UTC weekly slots in which the schedules want web tasks throughout, in every week of a
    year; None when a schedule is not a cron(...) this module reads."""
    zone = ZoneInfo(timezone)
    downs, ups = _firings(scale_down, zone), _firings(scale_up, zone)
    if downs is None or ups is None:
        return None
    events = sorted([(t, False) for t in downs] + [(t, True) for t in ups])
    start = datetime(_YEAR, 1, 1, tzinfo=UTC)
    end = datetime(_YEAR + 1, 1, 1, tzinfo=UTC)
    seen: dict[Slot, bool] = {}
    index, up = 0, True  # before the first firing: as the last days of the previous year left it
    hour = start
    while hour < end:
        window_start, window_end = hour - GRACE, hour + timedelta(hours=1)
        while index < len(events) and events[index][0] <= window_start:
            up = events[index][1]
            index += 1
        # Wanted through the slot: up at its start (grace included), no scale-down inside it.
        inside = index
        through = up
        while inside < len(events) and events[inside][0] < window_end:
            through = through and events[inside][1]
            inside += 1
        slot = (hour.isoweekday(), hour.hour)
        seen[slot] = seen.get(slot, True) and through
        hour += timedelta(hours=1)
    return frozenset(slot for slot, wanted in seen.items() if wanted)


def _runs(values: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted integers as inclusive runs: [1, 2, 3, 5] -> [(1, 3), (5, 5)]."""
    runs: list[tuple[int, int]] = []
    for value in sorted(values):
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def _between(function: str, low: int, high: int, first: int, last: int) -> list[str]:
    if (first, last) == (low, high):
        return []
    if first == last:
        return [f"{function}=={first}"]
    return [f"{function}>={first}", f"{function}<={last}"]


def wanted_expression(slots: frozenset[Slot], metric_id: str) -> str | None:
    """Metric math that is 1 for data points inside `slots` and 0 outside; None when it would pass
    CloudWatch's expression length limit."""
    if not slots:
        return "0"
    by_day: dict[tuple[tuple[int, int], ...], list[int]] = {}
    for day in range(1, 8):
        hours = tuple(_runs([h for d, h in slots if d == day]))
        if hours:
            by_day.setdefault(hours, []).append(day)
    terms = []
    for hours, days in by_day.items():
        for day_first, day_last in _runs(days):
            day_part = _between(f"DAY({metric_id})", 1, 7, day_first, day_last)
            for hour_first, hour_last in hours:
                parts = day_part + _between(f"HOUR({metric_id})", 0, 23, hour_first, hour_last)
                terms.append("(" + " AND ".join(parts) + ")" if parts else "1")
    expression = " OR ".join(terms)
    return expression if len(expression) <= MAX_EXPRESSION else None
