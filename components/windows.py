"""UTC maintenance and backup windows as RDS and ElastiCache write them, parsed into minutes.

A leaf: plain functions of strings, shared by the data stores' config types. A daily window is
`hh:mm-hh:mm`, a weekly one `ddd:hh:mm-ddd:hh:mm`; either may cross midnight (or the week's end).
"""

from __future__ import annotations

import re

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES
_HHMM = r"([01]\d|2[0-3]):([0-5]\d)"
_DAY = "(" + "|".join(WEEKDAYS) + ")"
DAILY_WINDOW = re.compile(f"{_HHMM}-{_HHMM}")
WEEKLY_WINDOW = re.compile(f"{_DAY}:{_HHMM}-{_DAY}:{_HHMM}")
DAILY_SHAPE = "hh:mm-hh:mm, e.g. '02:00-02:30'"
WEEKLY_SHAPE = "ddd:hh:mm-ddd:hh:mm, e.g. 'sun:03:00-sun:04:00'"


def window_minutes(window: str, *, weekly: bool) -> tuple[int, int] | None:
    """(start, length) in minutes from Monday 00:00 (weekly) or midnight (daily); None if it does
    not parse."""
    match = (WEEKLY_WINDOW if weekly else DAILY_WINDOW).fullmatch(window)
    if match is None:
        return None
    parts = match.groups()
    if weekly:
        start = WEEKDAYS.index(parts[0]) * DAY_MINUTES + int(parts[1]) * 60 + int(parts[2])
        end = WEEKDAYS.index(parts[3]) * DAY_MINUTES + int(parts[4]) * 60 + int(parts[5])
    else:
        start = int(parts[0]) * 60 + int(parts[1])
        end = int(parts[2]) * 60 + int(parts[3])
    return start, (end - start) % (WEEK_MINUTES if weekly else DAY_MINUTES)


def overlap(a: tuple[int, int], b: tuple[int, int], period: int) -> bool:
    """Whether two (start, length) windows of the same period share a minute."""
    return (b[0] - a[0]) % period < a[1] or (a[0] - b[0]) % period < b[1]


def daily_overlaps_weekly(daily: tuple[int, int], weekly: tuple[int, int]) -> bool:
    """Whether a daily window, on any day of the week, shares a minute with a weekly one."""
    return any(overlap((day * DAY_MINUTES + daily[0], daily[1]), weekly, WEEK_MINUTES) for day in range(7))


def weekly_window(start: int, length: int) -> str:
    """The `ddd:hh:mm-ddd:hh:mm` text of a weekly window starting `start` minutes after Monday 00:00."""

    def at(minute: int) -> str:
        minute %= WEEK_MINUTES
        day, rest = divmod(minute, DAY_MINUTES)
        return f"{WEEKDAYS[day]}:{rest // 60:02d}:{rest % 60:02d}"

    return f"{at(start)}-{at(start + length)}"
