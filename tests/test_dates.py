"""Dates as typed on the command line (digest.dates)."""

from __future__ import annotations

from datetime import date

import pytest

from digest.dates import parse_since

TODAY = date(2025, 11, 22)


@pytest.mark.parametrize("text, expected", [
    ("2025-11-01", date(2025, 11, 1)),
    ("today", TODAY),
    ("Yesterday", date(2025, 11, 21)),
    ("7d", date(2025, 11, 15)),
    ("0d", TODAY),
    ("2w", date(2025, 11, 8)),
    ("30d", date(2025, 10, 23)),
    (" 1w ", date(2025, 11, 15)),
])
def test_parse_since(text, expected):
    assert parse_since(text, TODAY) == expected


@pytest.mark.parametrize("text", ["", "2025-02-30", "20-11-2025", "7", "7m", "-3d", "last week", "2025-11-01T00:00"])
def test_parse_since_refuses_what_it_does_not_know(text):
    with pytest.raises(ValueError, match="is not a date .*YYYY-MM-DD, today, yesterday"):
        parse_since(text, TODAY)


def test_parse_utc_reads_the_stores_times_and_nothing_else():
    from datetime import datetime, timezone

    from digest.dates import parse_utc

    assert parse_utc("2025-11-21T07:30:05Z") == datetime(2025, 11, 21, 7, 30, 5, tzinfo=timezone.utc)
    for bad in ("2025-11-21", "2025-11-21T07:30:05", "2025-11-21 07:30:05Z", "2025-13-21T07:30:05Z",
                "2025-11-21T07:30:05.5Z", "", None, 5):
        with pytest.raises(ValueError):
            parse_utc(bad)


def test_day_start_is_local_midnight_as_a_store_time(monkeypatch):
    import time

    from digest.dates import day_start

    for tz, expected in (("UTC0", "2025-11-22T00:00:00Z"), ("XTK-9", "2025-11-21T15:00:00Z"),
                         ("XNY+5", "2025-11-22T05:00:00Z")):
        monkeypatch.setenv("TZ", tz)
        time.tzset()
        assert day_start(TODAY) == day_start("2025-11-22") == expected
    monkeypatch.setenv("TZ", "XTK-9")
    time.tzset()
    assert day_start(date(1, 1, 1)) == "0001-01-01T00:00:00Z"  # before year 1 in UTC: its UTC midnight
    monkeypatch.undo()
    time.tzset()
