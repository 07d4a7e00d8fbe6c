"""When sources publish (digest.sources.calendar): arXiv's announcement evenings, its holidays,
Daily Papers' weekdays, and what "nothing new" means at a given moment."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from digest.sources import calendar as cal


def et(y, m, d, h=12, mi=0) -> datetime:
    """A US Eastern wall-clock time as an aware datetime."""
    return cal.from_eastern(datetime(y, m, d, h, mi))


def utc(y, m, d, h=12, mi=0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=timezone.utc)


@pytest.mark.parametrize("when, hours", [
    (utc(2025, 1, 15), -5), (utc(2025, 8, 19), -4),
    (utc(2025, 3, 9, 6, 59), -5), (utc(2025, 3, 9, 7, 0), -4),  # 2:00 EST -> 3:00 EDT
    (utc(2025, 11, 2, 5, 59), -4), (utc(2025, 11, 2, 6, 0), -5),  # 2:00 EDT -> 1:00 EST
])
def test_eastern_time_follows_the_us_rule(when, hours):
    assert cal.eastern_offset(when) == timedelta(hours=hours)
    if when != utc(2025, 11, 2, 5, 59):  # (01:59 happens twice that night)
        assert cal.from_eastern(cal.to_eastern(when)) == when


def test_holidays_are_named():
    h = cal.holidays(2025)
    assert h[date(2025, 11, 27)] == "Thanksgiving"  # the fourth Thursday of November
    assert h[date(2025, 12, 25)] == "Christmas Day" and h[date(2025, 7, 4)] == "Independence Day"
    assert cal.holidays(2026)[date(2026, 11, 26)] == "Thanksgiving"


@pytest.mark.parametrize("evening, why", [
    (date(2025, 8, 22), "Friday"), (date(2025, 8, 23), "Saturday"), (date(2025, 8, 24), None),
    (date(2025, 8, 21), None), (date(2025, 11, 27), "holiday: Thanksgiving"),
])
def test_announcement_evenings(evening, why):
    assert cal.no_announcement(evening) == why


@pytest.mark.parametrize("now, batch", [
    (et(2025, 8, 20, 10), date(2025, 8, 20)),  # Wednesday morning: the batch announced Tuesday evening
    (et(2025, 8, 19, 23), date(2025, 8, 19)),  # Tuesday 23:00: announced at 20:00, in the feed at midnight
    (et(2025, 8, 20, 0, 30), date(2025, 8, 20)),
    (et(2025, 8, 23, 12), date(2025, 8, 22)),  # Saturday: Friday's batch
    (et(2025, 8, 24, 21), date(2025, 8, 22)),  # Sunday evening: Monday's batch is not in the feed yet
    (et(2025, 8, 25, 1), date(2025, 8, 25)),
    (et(2025, 11, 28, 12), date(2025, 11, 27)),  # no announcement on Thanksgiving evening: no Friday batch
    (et(2025, 11, 30, 12), date(2025, 11, 27)),
    (utc(2025, 1, 1, 12), date(2024, 12, 31)),  # New Year's Day, after the 24/25/31 December gaps
])
def test_the_batch_a_feed_should_serve(now, batch):
    assert cal.arxiv_batch(now) == batch


@pytest.mark.parametrize("now, served, text, stale", [
    (et(2025, 8, 23, 12), date(2025, 8, 22), "no announcement expected (Saturday)", False),
    (et(2025, 8, 22, 12), date(2025, 8, 22), "no announcement expected (Friday)", False),
    (et(2025, 8, 20, 10), date(2025, 8, 20), "no announcement expected (before tonight's 20:00 US Eastern announcement)", False),
    (et(2025, 8, 20, 22), date(2025, 8, 20),
     "no announcement expected (tonight's announcement reaches the feed around midnight US Eastern)", False),
    (et(2025, 11, 27, 12), date(2025, 11, 27), "no announcement expected (holiday: Thanksgiving)", False),
    (et(2025, 8, 20, 10), date(2025, 8, 19), "the feed still serves the 2025-08-19 batch on an announcement day (stale)", True),
    (et(2025, 8, 25, 9), date(2025, 8, 22), "the feed still serves the 2025-08-22 batch on an announcement day (stale)", True),
])
def test_arxiv_nothing_new_explains_itself(now, served, text, stale):
    v = cal.explain_nothing_new("arxiv", now, served=served)
    assert (v.text, v.stale) == (text, stale)


def test_arxiv_without_a_batch_date_goes_by_the_last_new_paper():
    now = et(2025, 8, 23, 12)
    assert not cal.explain_nothing_new("arxiv", now, last_new=et(2025, 8, 22, 1)).stale
    v = cal.explain_nothing_new("arxiv", et(2025, 8, 21, 9), last_new=et(2025, 8, 19, 1))
    assert v.stale and v.text == "the feed has given nothing new on an announcement day (stale)"
    assert cal.explain_nothing_new("arxiv", now) is None


def test_daily_papers_pauses_on_weekends():
    friday_evening = utc(2025, 8, 22, 19)
    v = cal.explain_nothing_new("daily_papers", utc(2025, 8, 23, 10), last_new=friday_evening)
    assert (v.text, v.stale) == ("no new papers expected (Saturday)", False)
    v = cal.explain_nothing_new("daily_papers", utc(2025, 8, 25, 8), last_new=friday_evening)  # Monday morning
    assert (v.text, v.stale) == ("no new papers expected (today's papers are still to come)", False)
    v = cal.explain_nothing_new("daily_papers", utc(2025, 8, 25, 20), last_new=friday_evening)
    assert v.stale and v.text == ("nothing new since 2025-08-22, though Daily Papers had papers on "
                                  "Monday 2025-08-25 (stale)")


@pytest.mark.parametrize("url, kind, declared, schedule", [
    ("https://rss.arxiv.org/atom/cs.LG", None, None, "arxiv"),
    ("http://export.arxiv.org/rss/cs.LG", None, None, "arxiv"),
    ("https://export.arxiv.org/api/query?search_query=cat:cs.LG", None, None, None),  # a search, not a listing
    ("https://huggingface.co/api/daily_papers", None, None, "daily_papers"),
    ("http://127.0.0.1:8000/papers.json", "hf_json", None, "daily_papers"),
    ("https://example.org/blog.xml", None, None, None),
    (None, None, None, None),  # a folder of saved pages
    ("http://127.0.0.1:8000/mirror.xml", None, "arxiv", "arxiv"),
    ("https://rss.arxiv.org/atom/cs.LG", None, "none", None),
])
def test_which_calendar_a_source_follows(url, kind, declared, schedule):
    assert cal.schedule_of(url, kind, declared) == schedule
