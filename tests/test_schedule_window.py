"""The nightly schedule's hours as the no-healthy-hosts alarm sees them: UTC weekday and hour slots
in which web tasks are wanted throughout, in every week of a year."""

from __future__ import annotations

import pytest

from components.observability.schedule_window import MAX_EXPRESSION, wanted_expression, wanted_slots

WEEKDAYS = range(1, 6)


def test_the_default_schedule_wants_web_on_weekdays_after_a_grace_hour() -> None:
    slots = wanted_slots("cron(0 20 * * ? *)", "cron(0 6 ? * MON-FRI *)", "UTC")
    assert slots == {(day, hour) for day in WEEKDAYS for hour in range(7, 20)}
    assert wanted_expression(slots, "f") == "(DAY(f)>=1 AND DAY(f)<=5 AND HOUR(f)>=7 AND HOUR(f)<=19)"


def test_daylight_saving_shrinks_the_window_instead_of_paging_at_night() -> None:
    # Dublin is UTC+0 in winter and UTC+1 in summer: 06:00-20:00 local is 05-19 or 06-20 UTC.
    slots = wanted_slots("cron(0 20 * * ? *)", "cron(0 6 ? * MON-FRI *)", "Europe/Dublin")
    assert slots == {(day, hour) for day in WEEKDAYS for hour in range(7, 19)}


def test_a_time_zone_east_of_utc_moves_the_window_and_a_mid_hour_scale_down_ends_it_early() -> None:
    # Jakarta is UTC+7: up at 07:00 (00:00 UTC), down at 22:30 (15:30 UTC), every day.
    slots = wanted_slots("cron(30 22 * * ? *)", "cron(0 7 * * ? *)", "Asia/Jakarta")
    assert slots == {(day, hour) for day in range(1, 8) for hour in range(1, 15)}
    assert wanted_expression(slots, "f") == "(HOUR(f)>=1 AND HOUR(f)<=14)"


@pytest.mark.parametrize(
    "down, up",
    [
        ("rate(1 day)", "cron(0 6 * * ? *)"),
        ("cron(0 20 * * ? *)", "at(2026-01-01T06:00:00)"),
        ("cron(0 20 L * ? *)", "cron(0 6 * * ? *)"),
        ("cron(0 20 * * ? 2027)", "cron(0 6 * * ? *)"),
    ],
)
def test_schedules_it_cannot_read_give_none(down: str, up: str) -> None:
    assert wanted_slots(down, up, "UTC") is None


def test_an_expression_past_cloudwatchs_limit_gives_none() -> None:
    # Every other hour of every day, each day different: far more terms than 2,048 characters hold.
    slots = frozenset((day, hour) for day in range(1, 8) for hour in range(day % 2, 24, 2))
    assert wanted_expression(slots, "filled") is None
    # A week with one slot per day fits.
    fits = wanted_expression(frozenset((day, day) for day in range(1, 8)), "filled")
    assert fits is not None and len(fits) <= MAX_EXPRESSION
    assert wanted_expression(frozenset(), "f") == "0"
