"""Dates as a user types them on the command line (``--since``).

``YYYY-MM-DD``, ``today``, ``yesterday``, or a span back from today: ``7d`` (days), ``2w``
(weeks). A span means "on or after that many days ago": ``--since 7d`` on 2025-11-22 is
2025-11-15, ``--since 0d`` is today.

A day is the user's, in local time (``TZ``), as ``today`` is: ``--since 2025-11-22`` means from
local midnight on, compared with the store's UTC times through :func:`day_start` (a paper first
seen at 07:30 in Tokyo is first seen on that day, though it was 22:30 UTC the day before).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

SINCE_HELP = "DATE: YYYY-MM-DD, today, yesterday, or a span back from today such as 7d or 2w"
_SPAN = re.compile(r"(\d{1,5})\s*([dw])")


def parse_since(text: str, today: date | None = None) -> date:
    """The date ``text`` names (see the module docstring); ValueError saying what is accepted."""
    today = today or date.today()
    t = text.strip().lower()
    if t == "today":
        return today
    if t == "yesterday":
        return today - timedelta(days=1)
    m = _SPAN.fullmatch(t)
    if m:
        n = int(m.group(1)) * (7 if m.group(2) == "w" else 1)
        return today - timedelta(days=n)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
        try:
            return date.fromisoformat(t)
        except ValueError:  # 2025-02-30
            pass
    raise ValueError(f"{text!r} is not a date ({SINCE_HELP})")


def parse_utc(stamp: str) -> datetime:
    """A time as the store writes it (``2025-11-21T07:30:00Z``), in UTC; ValueError for anything
    else. (Not datetime.strptime: its first call imports _strptime and compiles a dozen regular
    expressions, ~2 ms of a daily run.)"""
    if not isinstance(stamp, str) or len(stamp) != 20 or stamp[10] != "T" or stamp[-1] != "Z":
        raise ValueError(f"not a UTC time: {stamp!r}")
    return datetime.fromisoformat(stamp[:-1]).replace(tzinfo=timezone.utc)


def local_day(stamp: str) -> str:
    """The local date (YYYY-MM-DD) of a store time, as :func:`day_start` counts days: what a person
    is shown (first seen, added, a note's day). Anything else (a hand-edited time) is shown as its
    first 10 characters, as it was."""
    try:
        return parse_utc(stamp).astimezone().date().isoformat()
    except (ValueError, OverflowError, OSError):
        return stamp[:10] if isinstance(stamp, str) else ""


def day_start(day: date | str) -> str:
    """The store time (UTC, as :func:`parse_utc` reads it) at which local ``day`` (a date or
    YYYY-MM-DD) begins: what a store time on or after that day is compared with. A day the platform
    cannot place in local time (year 1 east of UTC) begins at its UTC midnight."""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    try:
        start = datetime(d.year, d.month, d.day).astimezone(timezone.utc)
    except (OverflowError, OSError, ValueError):
        return f"{d.isoformat()}T00:00:00Z"
    return f"{start.date().isoformat()}T{start:%H:%M:%S}Z"
