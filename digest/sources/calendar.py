"""When sources publish, so that "nothing new" can explain itself.

What is assumed (README "Sources" says the same):

- **arXiv** announces new papers at 20:00 US Eastern time on Sunday to Thursday evenings, and
  not on its holidays. The batch announced on an evening is dated the next day (Monday to
  Friday), and rss.arxiv.org serves it from about midnight US Eastern (its ``updated`` time).
  So no batch is dated a Saturday or a Sunday, and nothing new comes on Friday and Saturday
  evenings.
- arXiv's **holidays** change from year to year (it publishes the schedule); :func:`holidays`
  is an approximation: the evenings of New Year's Eve and Day, Independence Day, Thanksgiving
  and Christmas Eve and Day. On any other skipped day the calendar expects a batch, and a feed
  that has none is reported as stale.
- **Hugging Face Daily Papers** has papers on weekdays and pauses on weekends; a weekday's
  papers are taken to be there from 18:00 UTC (they arrive during the day).

US Eastern time is computed from the US daylight-saving rule (since 2007: from the second
Sunday of March to the first Sunday of November), so no time-zone database is needed.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Literal

from digest.records import dataclass

Schedule = Literal["arxiv", "daily_papers"]
SCHEDULES: tuple[Schedule, ...] = ("arxiv", "daily_papers")

ANNOUNCE_HOUR = 20  # US Eastern, the evening before the batch's date
FEED_HOUR = 0  # US Eastern, on the batch's date: rss.arxiv.org serves the new batch
HF_HOUR = 18  # UTC, on a weekday: Daily Papers has (most of) that day's papers
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def eastern_offset(when: datetime) -> timedelta:
    """US Eastern's offset from UTC at the UTC time ``when`` (EDT -4 h, EST -5 h)."""
    y = when.year
    start = datetime.combine(_nth_weekday(y, 3, 6, 2), time(7), timezone.utc)  # 2:00 EST
    end = datetime.combine(_nth_weekday(y, 11, 6, 1), time(6), timezone.utc)  # 2:00 EDT
    return timedelta(hours=-4) if start <= when < end else timedelta(hours=-5)


def to_eastern(when: datetime) -> datetime:
    """``when`` (aware) as naive US Eastern wall-clock time."""
    utc = when.astimezone(timezone.utc)
    return (utc + eastern_offset(utc)).replace(tzinfo=None)


def from_eastern(wall: datetime) -> datetime:
    """Naive US Eastern wall-clock time as an aware UTC datetime."""
    guess = wall.replace(tzinfo=timezone.utc) + timedelta(hours=5)
    return wall.replace(tzinfo=timezone.utc) - eastern_offset(guess)


def holidays(year: int) -> dict[date, str]:
    """The evenings (US Eastern dates) on which arXiv is assumed not to announce (approximate)."""
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    return {
        date(year, 1, 1): "New Year's Day",
        date(year, 7, 4): "Independence Day",
        thanksgiving: "Thanksgiving",
        date(year, 12, 24): "Christmas Eve",
        date(year, 12, 25): "Christmas Day",
        date(year, 12, 31): "New Year's Eve",
    }


def no_announcement(evening: date) -> str | None:
    """Why arXiv does not announce on the evening of ``evening`` (a US Eastern date), or None
    when it does: ``Friday``, ``Saturday``, ``holiday: Thanksgiving``."""
    if evening.weekday() in (4, 5):
        return WEEKDAYS[evening.weekday()]
    name = holidays(evening.year).get(evening)
    return f"holiday: {name}" if name else None


def arxiv_due(batch: date) -> datetime:
    """When rss.arxiv.org serves the batch dated ``batch`` (UTC)."""
    return from_eastern(datetime.combine(batch, time(FEED_HOUR)))


def arxiv_batch(now: datetime) -> date:
    """The date of the newest arXiv batch a feed should serve at ``now`` (aware)."""
    day = to_eastern(now).date() + timedelta(days=1)
    while True:
        if no_announcement(day - timedelta(days=1)) is None and arxiv_due(day) <= now:
            return day
        day -= timedelta(days=1)


def hf_due(day: date) -> datetime:
    return datetime.combine(day, time(HF_HOUR), timezone.utc)


def hf_batch(now: datetime) -> date:
    """The newest weekday whose Daily Papers should be there at ``now`` (aware)."""
    day = now.astimezone(timezone.utc).date()
    while day.weekday() >= 5 or hf_due(day) > now:
        day -= timedelta(days=1)
    return day


def schedule_of(url: str | None, kind: str | None, declared: str | None = None) -> Schedule | None:
    """The calendar a configured source follows: ``declared`` (``[sources.X] calendar``: one of
    SCHEDULES, or "none"), else arXiv's for its listing feeds (rss.arxiv.org,
    export.arxiv.org/rss), Daily Papers' for the HF JSON; None otherwise (a search API answer,
    a folder of saved pages, any other feed)."""
    if declared is not None:
        return None if declared == "none" else declared  # type: ignore[return-value]
    u = (url or "").lower()
    if "//rss.arxiv.org/" in u or "arxiv.org/rss/" in u:
        return "arxiv"
    if "huggingface.co/api/daily_papers" in u or (u and kind == "hf_json"):
        return "daily_papers"
    return None


@dataclass
class Verdict:
    """What the calendar says about a source that gave nothing new."""

    stale: bool  # True: something new was due (a warning); False: nothing was expected (a note)
    text: str


def explain_nothing_new(schedule: Schedule, now: datetime, *, served: date | None = None,
                        last_new: datetime | None = None) -> Verdict | None:
    """Why a source gave nothing new at ``now``: nothing was due (``no announcement expected
    (Saturday)``), or it is stale (``the feed still serves the 2025-08-19 batch on an
    announcement day (stale)``). ``served``: the newest batch date the source serves (arXiv
    feeds), ``last_new``: when it last gave something new. None when neither is known."""
    if schedule == "arxiv":
        expected = arxiv_batch(now)
        if served is not None:
            caught_up = served >= expected
        elif last_new is not None:
            caught_up = last_new >= arxiv_due(expected)
        else:
            return None
        if not caught_up:
            what = f"still serves the {served.isoformat()} batch" if served else "has given nothing new"
            return Verdict(True, f"the feed {what} on an announcement day (stale)")
        local = to_eastern(now)
        why = no_announcement(local.date())
        if why is None:
            why = ("before tonight's 20:00 US Eastern announcement" if local.hour < ANNOUNCE_HOUR
                   else "tonight's announcement reaches the feed around midnight US Eastern")
        return Verdict(False, f"no announcement expected ({why})")
    expected = hf_batch(now)
    if last_new is None:
        return None
    if last_new < hf_due(expected):
        return Verdict(True, f"nothing new since {last_new.date().isoformat()}, though Daily Papers had "
                             f"papers on {WEEKDAYS[expected.weekday()]} {expected.isoformat()} (stale)")
    today = now.astimezone(timezone.utc).date()
    why = WEEKDAYS[today.weekday()] if today.weekday() >= 5 else "today's papers are still to come"
    return Verdict(False, f"no new papers expected ({why})")
