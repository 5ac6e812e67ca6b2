"""The {eta} promise: today during business hours, else the next business day."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.config import Clinic
from bot.hours import eta_text, is_open
from tests.bot.conftest import JST

CLINIC = Clinic.model_validate(
    {
        "business_hours": {
            "mon": "09:00-18:00",
            "tue": "09:00-18:00",
            "wed": "09:00-18:00",
            "thu": "09:00-18:00",
            "fri": "09:00-18:00",
            "sat": "09:30-13:00",
            "sun": "closed",
        },
        "holidays": [date(2026, 11, 23), date(2026, 12, 31), date(2027, 1, 1)],
    }
)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 25, 10, 0), "本日18:00までに"),
        (datetime(2026, 11, 25, 7, 30), "本日9:00以降に"),
        (datetime(2026, 11, 25, 18, 0), "翌営業日（11月26日(木) 9:00以降）に"),
        (datetime(2026, 11, 25, 23, 59), "翌営業日（11月26日(木) 9:00以降）に"),
        (datetime(2026, 11, 28, 13, 30), "翌営業日（11月30日(月) 9:00以降）に"),
        (datetime(2026, 11, 27, 19, 0), "翌営業日（11月28日(土) 9:30以降）に"),
        (datetime(2026, 11, 22, 12, 0), "翌営業日（11月24日(火) 9:00以降）に"),
        (datetime(2026, 12, 30, 20, 0), "翌営業日（1月2日(土) 9:30以降）に"),
    ],
    ids=[
        "during-hours",
        "before-opening",
        "at-closing",
        "late-evening",
        "saturday-afternoon-to-monday",
        "friday-evening-to-saturday",
        "sunday-before-a-holiday-monday",
        "new-year-holidays",
    ],
)
def test_eta(moment: datetime, expected: str) -> None:
    assert eta_text(CLINIC, moment.replace(tzinfo=JST)) == expected


def test_eta_uses_the_clinics_time_zone_whatever_the_clock_says() -> None:
    from datetime import UTC

    # 00:30 UTC is 09:30 in Tokyo.
    assert eta_text(CLINIC, datetime(2026, 11, 25, 0, 30, tzinfo=UTC)) == "本日18:00までに"


def test_is_open() -> None:
    assert is_open(CLINIC, datetime(2026, 11, 25, 9, 0, tzinfo=JST))
    assert not is_open(CLINIC, datetime(2026, 11, 23, 10, 0, tzinfo=JST))  # holiday


def test_business_minutes_count_only_opening_hours() -> None:
    from bot.config import Clinic
    from bot.hours import business_minutes

    clinic = Clinic()  # Mon-Fri 9-18, Sat 9-13, Sun closed
    friday_evening = datetime(2026, 11, 27, 17, 30, tzinfo=JST)
    monday_morning = datetime(2026, 11, 30, 9, 30, tzinfo=JST)
    # 30 min Friday + 4 h Saturday + 30 min Monday
    assert business_minutes(clinic, friday_evening, monday_morning) == 30 + 240 + 30
    assert business_minutes(clinic, monday_morning, friday_evening) == 0
