"""UTC windows as AWS writes them: `hh:mm-hh:mm` (daily) and `ddd:hh:mm-ddd:hh:mm` (weekly).

A leaf of pure parsing shared by the data stores' configs: it imports nothing from the project and
nothing from Pulumi. A window becomes (start, length) in minutes from midnight (daily) or from
Monday 00:00 (weekly); a window that ends before it starts wraps round the day or week.
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
    """The window as (start, length) in minutes from Monday 00:00 (weekly) or midnight (daily);
    None if it does not parse."""
    pattern = WEEKLY_WINDOW if weekly else DAILY_WINDOW
    match = pattern.fullmatch(window)
    if match is None:
        return None
    period = WEEK_MINUTES if weekly else DAY_MINUTES
    parts = match.groups()
    if weekly:
        start = WEEKDAYS.index(parts[0]) * DAY_MINUTES + int(parts[1]) * 60 + int(parts[2])
        end = WEEKDAYS.index(parts[3]) * DAY_MINUTES + int(parts[4]) * 60 + int(parts[5])
    else:
        start = int(parts[0]) * 60 + int(parts[1])
        end = int(parts[2]) * 60 + int(parts[3])
    return start, (end - start) % period


def windows_overlap(a: tuple[int, int], b: tuple[int, int], period: int) -> bool:
    """Whether two (start, length) windows on a circle of `period` minutes share a minute."""
    return (b[0] - a[0]) % period < a[1] or (a[0] - b[0]) % period < b[1]
