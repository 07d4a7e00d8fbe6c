"""The reading list: tags and notes on stored papers.

Tags and notes are append-only events in the store's ``events.jsonl``::

    {"v":1,"at":"2025-11-20T07:31:02Z","type":"tag","id":"596749aa1c...","tag":"toread"}
    {"v":1,"at":"...","type":"untag","id":"596749aa1c...","tag":"toread"}
    {"v":1,"at":"...","type":"note","id":"596749aa1c...","text":"compare with the LoRA paper"}
    {"v":1,"at":"...","type":"unnote","id":"596749aa1c..."}          (clears the notes)

They are keyed by the item id, which the store keeps when the same paper is
ingested again from any source (an arXiv feed merging into a dump item keeps
the dump item's id), so tags and notes survive re-ingests and cross-source
merges. A change is one small fsynced append under the store lock; the store
is never rewritten. :class:`ReadingList` folds the events (in file order) into
the current state; events of other types (deliveries, ...) are ignored.

Tag names follow :func:`digest.text.normalize_tag`.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from digest.errors import DigestError
from digest.identity import short_id
from digest.tags import InvalidTag, normalize_tag
from digest.text import collapse

if TYPE_CHECKING:  # (kept light: the CLI reads SORTS at start-up)
    from digest.store import Store

NOTE_MAX = 2000
EVENT_TYPES = ("tag", "untag", "note", "unnote")


def clean_note(text: str) -> str:
    """A note as stored: one line, no control characters, at most NOTE_MAX characters."""
    t = collapse(text)
    if not t:
        raise DigestError("empty note (to remove an item's notes use --clear)")
    if len(t) > NOTE_MAX:
        raise DigestError(f"note longer than {NOTE_MAX} characters")
    return t


@dataclass
class Note:
    at: str
    text: str

    def to_dict(self) -> dict:
        return {"at": self.at, "text": self.text}


@dataclass
class ItemState:
    """One item's reading-list state: its current tags (tag -> when it was added) and notes."""

    tags: dict[str, str] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)

    @property
    def added(self) -> str:
        """When the item entered the reading list: its oldest current tag or note."""
        times = list(self.tags.values()) + [n.at for n in self.notes]
        return min(times) if times else ""

    @property
    def empty(self) -> bool:
        return not self.tags and not self.notes


class ReadingList:
    """The current tags and notes, folded from the store's events."""

    def __init__(self) -> None:
        self.items: dict[str, ItemState] = {}

    @classmethod
    def load(cls, store: Store) -> ReadingList:
        rl = cls()
        for ev in store.iter_events():
            rl.apply(ev)
        return rl

    def apply(self, ev: dict) -> None:
        kind = ev.get("type")
        item_id = ev.get("id")
        if kind not in EVENT_TYPES or not isinstance(item_id, str):
            return
        stamp = ev.get("at")
        at = stamp if isinstance(stamp, str) else ""
        if kind in ("tag", "untag"):
            tag = ev.get("tag")
            if not isinstance(tag, str) or not tag:
                return
            if kind == "tag":
                st = self.items.setdefault(item_id, ItemState())
                st.tags.setdefault(tag, at)
            elif item_id in self.items:
                self.items[item_id].tags.pop(tag, None)
        elif kind == "note":
            text = ev.get("text")
            if isinstance(text, str) and text:
                self.items.setdefault(item_id, ItemState()).notes.append(Note(at, text))
        elif item_id in self.items:  # unnote
            self.items[item_id].notes.clear()
        state = self.items.get(item_id)
        if state is not None and state.empty:
            del self.items[item_id]

    # ------------------------------------------------------------------ queries
    def tags_of(self, item_id: str) -> list[str]:
        st = self.items.get(item_id)
        return sorted(st.tags) if st else []

    def notes_of(self, item_id: str) -> list[Note]:
        st = self.items.get(item_id)
        return list(st.notes) if st else []

    def added(self, item_id: str) -> str:
        st = self.items.get(item_id)
        return st.added if st else ""

    def tag_counts(self) -> dict[str, int]:
        """Every tag in use with the number of items carrying it: most used first, then by name."""
        counts: dict[str, int] = {}
        for st in self.items.values():
            for t in st.tags:
                counts[t] = counts.get(t, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def ids_with(self, tags: Iterable[str] = ()) -> list[str]:
        """Ids of items carrying every one of ``tags`` (of every item on the list when none)."""
        want = set(tags)
        if not want:
            return list(self.items)
        return [i for i, st in self.items.items() if want <= st.tags.keys()]

    def tag_map(self) -> dict[str, list[str]]:
        """Item id -> its tags (sorted), for every item that has a tag."""
        return {i: sorted(st.tags) for i, st in self.items.items() if st.tags}

    def tagged_ids(self) -> set[str]:
        return {i for i, st in self.items.items() if st.tags}


# --------------------------------------------------------------------------- reading helpers
def tags_by_id(store: Store, ids: Iterable[str]) -> dict[str, list[str]]:
    """Current tags of the given items (items without tags are left out)."""
    tags = ReadingList.load(store).tag_map()
    return {i: tags[i] for i in ids if i in tags}


def all_tags(store: Store) -> dict[str, int]:
    """Every tag in use and how many items carry it, most used first."""
    return ReadingList.load(store).tag_counts()


def notes_by_id(store: Store, ids: Iterable[str]) -> dict[str, list[Note]]:
    rl = ReadingList.load(store)
    return {i: rl.notes_of(i) for i in ids if rl.notes_of(i)}


# --------------------------------------------------------------------------- writing
@dataclass
class Change:
    """What a tag/untag/note command did to one item."""

    id: str
    title: str
    added: list[str] = field(default_factory=list)  # tags added (or notes)
    removed: list[str] = field(default_factory=list)  # tags removed
    unchanged: list[str] = field(default_factory=list)  # already tagged / was not tagged

    @property
    def short_id(self) -> str:
        return short_id(self.id)


def _locked(store: Store):
    """Take the store lock unless the caller already holds it."""
    return nullcontext(store) if store.locked else store


def resolve_all(store: Store, prefixes: Iterable[str]) -> list[str]:
    """Full ids for id prefixes, in order, duplicates dropped; the first bad one raises NotFound."""
    out: list[str] = []
    for p in prefixes:
        item_id = store.resolve(p)
        if item_id not in out:
            out.append(item_id)
    return out


def _titles(store: Store, ids: list[str]) -> dict[str, str]:
    return {r["id"]: r.get("title", "") for r in store.get_many(ids)}


def set_tags(store: Store, prefixes: Iterable[str], tags: Iterable[str], *, remove: bool = False,
             now: str | None = None) -> list[Change]:
    """Add (or with ``remove`` take away) ``tags`` on every item named by ``prefixes``.

    All prefixes and tags are checked before anything is written; then one
    append of the events that change something (tagging twice is a no-op).
    """
    tag_list: list[str] = []
    for t in tags:
        nt = normalize_tag(t)
        if nt not in tag_list:
            tag_list.append(nt)
    if not tag_list:
        raise InvalidTag("no tag given")
    prefixes = list(prefixes)
    if not prefixes:
        raise DigestError("no item id given")
    ids = resolve_all(store, prefixes)  # before the lock: a typo creates no store (papers are never removed)
    with _locked(store):
        rl = ReadingList.load(store)
        titles = _titles(store, ids)
        events: list[dict] = []
        changes: list[Change] = []
        for item_id in ids:
            ch = Change(item_id, titles.get(item_id, ""))
            current = set(rl.tags_of(item_id))
            for t in tag_list:
                if (t in current) != remove:
                    ch.unchanged.append(t)
                    continue
                ev = {"type": "untag" if remove else "tag", "id": item_id, "tag": t}
                if now:
                    ev["at"] = now
                events.append(ev)
                (ch.removed if remove else ch.added).append(t)
            changes.append(ch)
        store.append_events(events)
    return changes


def tag(store: Store, prefixes: Iterable[str], tags: Iterable[str], *, now: str | None = None) -> list[Change]:
    return set_tags(store, prefixes, tags, now=now)


def untag(store: Store, prefixes: Iterable[str], tags: Iterable[str], *, now: str | None = None) -> list[Change]:
    return set_tags(store, prefixes, tags, remove=True, now=now)


def add_note(store: Store, prefix: str, text: str, *, now: str | None = None) -> Change:
    """Attach a note to the item; an item may carry several notes (kept in order)."""
    text = clean_note(text)
    item_id = store.resolve(prefix)
    with _locked(store):
        ev = {"type": "note", "id": item_id, "text": text}
        if now:
            ev["at"] = now
        store.append_events([ev])
        title = _titles(store, [item_id]).get(item_id, "")
    return Change(item_id, title, added=[text])


def clear_notes(store: Store, prefix: str, *, now: str | None = None) -> Change:
    """Remove every note of the item (one ``unnote`` event; nothing when it has none)."""
    item_id = store.resolve(prefix)
    with _locked(store):
        old = ReadingList.load(store).notes_of(item_id)
        if old:
            ev = {"type": "unnote", "id": item_id}
            if now:
                ev["at"] = now
            store.append_events([ev])
        title = _titles(store, [item_id]).get(item_id, "")
    return Change(item_id, title, removed=[n.text for n in old])


# --------------------------------------------------------------------------- revisions
def revisions(store: Store, *, after_run: int | None = None, since: str | None = None,
              ids: Iterable[str] | None = None, rl: ReadingList | None = None) -> list[tuple[dict, list[str]]]:
    """Papers on the reading list (tagged or noted) that a new arXiv version replaced in an ingest
    run above ``after_run``, on or after ``since`` (YYYY-MM-DD), or among ``ids`` (the papers an
    ingest just revised): ``(record, tags)``, the most recently revised first. The reading list
    is small: its papers are looked up by id."""
    rl = rl or ReadingList.load(store)
    wanted = list(rl.items) if ids is None else [i for i in dict.fromkeys(ids) if i in rl.items]
    out = []
    for r in store.get_many(wanted):
        run, at = r.get("revised_run"), r.get("revised_at")
        if not isinstance(run, int) or not isinstance(at, str):
            continue
        if ids is not None or (after_run is not None and run > after_run) or (since is not None and at >= since):
            out.append((r, rl.tags_of(r["id"])))
    out.sort(key=lambda x: (x[0].get("revised_at") or "", x[0]["id"]), reverse=True)
    return out


# --------------------------------------------------------------------------- listing
SORTS = ("newest", "added", "score", "upvotes")


@dataclass
class Entry:
    """One paper on the reading list, as ``digest list`` and ``digest export`` show it."""

    record: dict
    tags: list[str]
    notes: list[Note]
    added: str  # when it entered the reading list ("" for an untagged paper without notes)
    score: float | None = None
    matches: list = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.record["id"]

    def to_dict(self) -> dict:
        from digest.render import paper_link

        r = self.record
        d = {"id": r["id"], "short_id": short_id(r["id"])}
        for k in ("title", "authors", "n_authors", "published", "arxiv_id", "arxiv_version", "url",
                  "categories", "upvotes", "org", "links", "abstract", "sources", "first_seen", "revised_at"):
            d[k] = r.get(k)
        d["link"] = paper_link(r).to_dict()
        d["tags"] = list(self.tags)
        d["notes"] = [n.to_dict() for n in self.notes]
        d["added"] = self.added or None
        if self.score is not None:
            d["score"] = self.score
            d["matches"] = [m.to_dict() for m in self.matches]
        return d


def _search_matcher(search: Iterable[str], store: Store | None = None):
    """A matcher for every search word (whole words, by prefix, in the spellings the store has
    seen: pretraining = pre-training), and how many words there are."""
    from digest.ranking.match import Matcher, Rules, expand_terms

    words = list(dict.fromkeys(w.rstrip("*") + "*" for phrase in search for w in (phrase or "").split()))
    rules = Rules(stemming=False, abbreviations=False, acronym_names=False)
    specs = expand_terms([(w, 1.0) for w in words], store.vocabulary() if store else None, rules)
    return (Matcher(specs, settle=False), len(specs)) if specs else (None, 0)


def _haystack(e: Entry) -> bytes:
    from digest.words import normalize

    r = e.record
    parts = [r.get("title") or "", r.get("abstract") or "", " ".join(r.get("authors") or []),
             r.get("org") or "", r.get("arxiv_id") or "", " ".join(e.tags), " ".join(n.text for n in e.notes)]
    return normalize(" \n ".join(parts))


def _newest_key(r: dict) -> tuple:
    day = r.get("published") or (r.get("first_seen") or "")[:10]
    return (day, r.get("first_seen") or "", r["id"])


def _upvotes(r: dict) -> int:
    up = r.get("upvotes")
    return up if isinstance(up, int) and not isinstance(up, bool) else -1  # without a count: last


PLACE = 1 << 32  # a record's place in items.jsonl as one int: offset * PLACE + length (lines < 4 GB)


class Listing:
    """The selected papers in order, read from the store one at a time as they are shown: only
    their sort keys and offsets are in memory (a 58,000-paper ``list --untagged`` stays small)."""

    def __init__(self, store: Store, keys: list[tuple], rl: ReadingList, scorer=None) -> None:
        self.store = store
        self.keys = keys  # sort keys, each ending with the record's place: offset << 32 | length
        self.rl = rl
        self.scorer = scorer

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self) -> Iterator[Entry]:
        from digest.store.store import Selection

        rl = self.rl
        rows = (divmod(k[-1], PLACE) for k in self.keys)
        for r in Selection(self.store, rows, count=len(self.keys)):
            e = Entry(r, rl.tags_of(r["id"]), rl.notes_of(r["id"]), rl.added(r["id"]))
            if self.scorer is not None:
                s = self.scorer.score(r)
                e.score, e.matches = s.score, s.matches
            yield e


def listing(store: Store, *, tags: Iterable[str] = (), untagged: bool = False,
            search: Iterable[str] = (), since: str | None = None, sort: str = "newest",
            scorer=None, rl: ReadingList | None = None, updated_since: str | None = None,
            limit: int | None = None) -> Listing:
    """The reading list, filtered and sorted, as a :class:`Listing` (read lazily).

    - ``tags``: papers carrying every one of these tags; none given: every
      paper with a tag or a note.
    - ``untagged``: instead, every stored paper without a tag.
    - ``search``: words that must all occur (whole words, by prefix) in the
      title, abstract, authors, organisation, tags or notes.
    - ``since``: ``YYYY-MM-DD``; papers added to the reading list (their oldest
      tag or note) on or after it; untagged papers by when they were first seen.
    - ``updated_since``: ``YYYY-MM-DD``; papers a new arXiv version replaced on or after it.
    - ``sort``: ``newest`` (publication date, newest first), ``added`` (most
      recently added first), ``score`` (needs ``scorer``, a
      :class:`digest.ranking.score.Scorer`) or ``upvotes`` (most upvoted first);
      ties newest first.
    - ``limit``: at most this many (the first ones in that order).

    One pass reads the candidates and keeps (sort key, offset, length) of those that pass the
    filters; the Listing reads the chosen records again, in order, as they are shown.
    """
    if sort not in SORTS:
        raise DigestError(f"unknown sort {sort!r} (expected one of: {', '.join(SORTS)})")
    if sort == "score" and scorer is None:  # pragma: no cover - the app always passes one
        raise DigestError("sorting by score needs a scorer")
    want = [normalize_tag(t) for t in tags]
    if untagged and want:
        raise DigestError("--untagged cannot be combined with --tag")
    rl = rl or ReadingList.load(store)
    if untagged:
        tagged = rl.tagged_ids()
        rows: Iterable[tuple[int, int, dict]] = (x for x in store.iter_rows() if x[2]["id"] not in tagged)
    else:
        ids = rl.ids_with(want)
        found: set[str] = set()
        rows = _noting(store.rows_of(ids), found)
    matcher, n_words = _search_matcher(search, store)
    strings: dict[str, str] = {}  # equal dates and times shared: the keys of a big list stay small

    def keyed() -> Iterator[tuple]:
        """One flat tuple a paper that passes the filters: the sort key, then where the record is
        (ids are unique, so the place never decides the order). About 180 bytes a paper."""
        for off, n, r in rows:
            place = off * PLACE + n
            if updated_since and (r.get("revised_at") or "")[:10] < updated_since:
                continue
            if since or matcher is not None:
                e = Entry(r, rl.tags_of(r["id"]), rl.notes_of(r["id"]), rl.added(r["id"]))
                if since and (e.added or r.get("first_seen") or "")[:10] < since:
                    continue
                if matcher is not None and len(matcher.find(_haystack(e))) != n_words:
                    continue
            day, seen, rid = _newest_key(r)
            day, seen = strings.setdefault(day, day), strings.setdefault(seen, seen)
            if sort == "newest":
                yield (day, seen, rid, place)
            elif sort == "added":
                yield (rl.added(rid), day, seen, rid, place)
            elif sort == "score":
                yield (scorer.fast_score(r), day, seen, rid, place)
            else:
                yield (_upvotes(r), day, seen, rid, place)

    # with a limit only the best `limit` keys are kept (a bounded heap) as the candidates are read
    best = heapq.nlargest(limit, keyed()) if limit is not None else sorted(keyed(), reverse=True)
    if not untagged:
        missing = [i for i in ids if i not in found]
        if missing:
            store.warnings.append(
                f"{len(missing)} tagged id(s) not in the store (e.g. {short_id(missing[0])}); skipped")
    return Listing(store, best, rl, scorer if sort == "score" else None)


def _noting(rows: Iterable[tuple[int, int, dict]], found: set[str]) -> Iterator[tuple[int, int, dict]]:
    for row in rows:
        found.add(row[2]["id"])
        yield row


def select(store: Store, **kwargs) -> list[Entry]:
    """The reading list as a list of entries (see :func:`listing` for the arguments)."""
    return list(listing(store, **kwargs))
