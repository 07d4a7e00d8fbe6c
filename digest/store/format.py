"""The store's file format: what each file holds, what a record and an event look like.

This is the one place a reader learns the format. A store is a directory::

    items.jsonl      one line per version of a paper; the last line for an id wins
    events.jsonl     small appended events: tags, notes, deliveries
    state.json       fetch validators and source health (a cache, rewritten atomically)
    meta.json        {"format": 1, "created": "..."}
    index.sqlite     id / arXiv id / title key -> byte offset; a cache rebuilt from items.jsonl
    learned.json     the term weights learned from votes and what they were built from (a cache)
    learned-state.json   the voted papers' features and background word rates (a cache)
    readinglist.json the reading list folded from events.jsonl up to an offset (a cache)
    lock             the run lock (flock)

Records (``items.jsonl``), one JSON object per line, ``"v": 1``::

    id              16 hex characters: sha256 of the normalised title (a derived id when
                    a different paper already holds it); the key of tags and notes
    title           string
    abstract        string or null; truncated: true when the source cut it short
    authors         list of strings; n_authors: integer (a page may give only a count)
    published       YYYY-MM-DD or null
    upvotes, org    Daily Papers / HF JSON: integer, string
    links           list of code/project URLs
    arxiv_id        without version ("2401.01234", "astro-ph/0601001"); arxiv_version: integer
    url             the paper's page (the arXiv abstract page when known)
    categories      arXiv categories, primary first
    cross_list      true when arXiv listings announced it only as a cross-list (primary elsewhere),
                    false when one announced it as its own, null when no listing said
    sources         list of the inputs or configured sources it came from
    first_seen, last_seen   UTC timestamps (YYYY-MM-DDTHH:MM:SSZ)
    first_run, last_run     ingest run numbers (one per locked ingest)
    updated_fields  for an updated paper: the content fields that changed
    revised_at, revised_run   when (UTC timestamp, ingest run) a new arXiv version replaced a
                    known older one: the last revision (the reading list follows its papers)

Events (``events.jsonl``), ``{"v": 1, "at": "<UTC timestamp>", "type": ..., ...}``:

    tag / untag     "id", "tag"               (the reading list: digest.readinglist)
    note / unnote   "id", "text" / "id" [, "text"]   (unnote with a text removes the last note
                                              with that text, else every note of the paper)
    triage          "id", "decision"          one of DECISIONS: keep, reject, later (triage and
    untriage        "id"                      its undo; the latest decision for an id wins)
    read / unread   "id"                      the read state of a paper
    mute / unmute   "term"                    a term muted from triage (a negative interest)
    follow / unfollow   "author"              an author followed from triage (an author boost)
    tuned           "section", "key", "weight"   `digest tune --apply` changed this weight: later
                                              weight suggestions for it count only newer votes
    sent            "ids", "message_id", "through_run", "held_back", "to", "transport"
    email_baseline  "after_run"               (the mail log: digest.mail.outbox)
    email_skipped   "through_run", "held_back"

A record, event or store of a newer format than :data:`FORMAT` is refused
("upgrade digest"), never half-read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from digest.errors import StoreError
from digest.text import storable

FORMAT = 1
ITEMS = "items.jsonl"
EVENTS = "events.jsonl"
STATE = "state.json"
META = "meta.json"
INDEX = "index.sqlite"
LEARNED = "learned.json"  # caches of digest.ranking.learned: deleting them costs one rebuild
LEARNED_STATE = "learned-state.json"
READING_LIST = "readinglist.json"  # the folded reading list and the events offset it reached (a cache)
LOCK = "lock"

# Event types (the "type" of a line of events.jsonl), by owner.
TAG, UNTAG, NOTE, UNNOTE = "tag", "untag", "note", "unnote"
TRIAGE, UNTRIAGE, READ, UNREAD = "triage", "untriage", "read", "unread"
MUTE, UNMUTE, FOLLOW, UNFOLLOW = "mute", "unmute", "follow", "unfollow"
TUNED = "tuned"
SENT, EMAIL_BASELINE, EMAIL_SKIPPED = "sent", "email_baseline", "email_skipped"
READING_LIST_EVENTS = (TAG, UNTAG, NOTE, UNNOTE, TRIAGE, UNTRIAGE, READ, UNREAD, MUTE, UNMUTE, FOLLOW, UNFOLLOW,
                       TUNED)
EVENT_TYPES = (*READING_LIST_EVENTS, SENT, EMAIL_BASELINE, EMAIL_SKIPPED)
# A triage decision (the "decision" of a triage event), a closed set: y, n and s in `digest triage`.
DECISIONS = ("keep", "reject", "later")


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def dumps(obj: dict) -> bytes:
    """One JSONL line (UTF-8, compact, newline-terminated). A lone surrogate (a byte typed on the
    command line that is not UTF-8: ``digest note ID $'\\xff'``) is written as U+FFFD, the one
    rule for decoded text (:func:`digest.text.storable`), never an encoding error."""
    line = json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"
    try:
        return line.encode("utf-8")
    except UnicodeEncodeError:
        return storable(line).encode("utf-8")


class DamagedLine(StoreError):
    """A line that is not a valid record, found where the index (or a scan) expected one: edited in
    place with the same size, a bit flip, or the file replaced by a repair while it was read. The
    store repairs (sets the line aside, rebuilds the index) and the read is done again."""

    def __init__(self, off: int, path: object = None) -> None:
        super().__init__(f"a damaged line at offset {off} (changed under the index); try again", path=path)
        self.off = off

    def __reduce__(self):  # raised in a rescore worker process, re-raised in the parent
        return (DamagedLine, (self.off, self.path))


class NewerFormat(Exception):
    """A record or event written by a newer digest (``version``)."""

    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version


# Integers, range-checked: every integer of a record fits SQLite's 64 bits, and a run number is
# at most MAX_RUN, so the next run (latest + 1) always fits too. Anything beyond is a hand edit or
# a bit flip: the line is damaged (set aside), the event mark ignored.
MAX_RUN = 2**48
_INT64 = (-(2**63), 2**63 - 1)


def run_number(value: Any) -> int | None:
    """``value`` if it is a run number (an integer 0 ... MAX_RUN, not a bool), else None."""
    return value if type(value) is int and 0 <= value <= MAX_RUN else None


def store_format(value: Any) -> int | None:
    """``value`` if it is a store format number (an integer >= 1, not a bool), else None."""
    return value if type(value) is int and value >= 1 else None


_OPT_STR = (str, type(None))
_OPT_INT = (int, type(None))
_RECORD_TYPES = {
    "abstract": _OPT_STR, "published": _OPT_STR, "org": _OPT_STR, "arxiv_id": _OPT_STR, "url": _OPT_STR,
    "first_seen": _OPT_STR, "last_seen": _OPT_STR, "n_authors": _OPT_INT, "upvotes": _OPT_INT,
    "arxiv_version": _OPT_INT, "first_run": _OPT_INT, "last_run": _OPT_INT, "truncated": (bool, type(None)),
    "revised_at": _OPT_STR, "revised_run": _OPT_INT, "cross_list": (bool, type(None)),
}
_RECORD_LISTS = ("authors", "links", "categories", "sources", "updated_fields")


def valid_record(rec: dict) -> bool:
    """Does this decoded line have the shape of a record (an id of ASCII letters and digits, a
    string title, known fields of the right types)? A line that does not is damaged: it is set
    aside, never shown half-read (a hand edit like ``"title": 5`` must not crash every command)."""
    rid = rec["id"]
    if not rid or not (rid.isascii() and rid.isalnum()) or not isinstance(rec.get("title"), str):
        return False
    for key, types in _RECORD_TYPES.items():
        value = rec.get(key)
        if not isinstance(value, types):
            return False
        if type(value) is int and not (_INT64[0] <= value <= _INT64[1]):
            return False
    for key in ("first_run", "last_run"):
        if rec.get(key) is not None and run_number(rec[key]) is None:
            return False
    for key in _RECORD_LISTS:
        value = rec.get(key)
        if value is not None and (type(value) is not list or not all(type(x) is str for x in value)):
            return False
    return True


def decode_record(line: bytes, loads: Callable[[bytes], Any] = json.loads) -> dict | None:
    """The record on a line of items.jsonl, or None when the line is not a valid record.
    Raises :class:`NewerFormat` for a record of a newer format."""
    try:
        rec = loads(line)
    except ValueError:
        return None
    if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
        return None
    v = rec.get("v", FORMAT)
    if isinstance(v, int) and v > FORMAT:
        raise NewerFormat(v)
    return rec if valid_record(rec) else None


def fast_loads() -> Callable[[bytes], Any]:
    """The JSON decoder for scans of many lines (orjson: 2-3x faster than json)."""
    import orjson

    return orjson.loads
