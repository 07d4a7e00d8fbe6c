"""The reading list: tags, notes, triage decisions, the read state, mutes and follows.

Everything is an append-only event in the store's ``events.jsonl`` (the formats are in
:mod:`digest.store.format`)::

    {"v":1,"at":"2025-11-20T07:31:02Z","type":"tag","id":"596749aa1c...","tag":"toread"}
    {"v":1,"at":"...","type":"untag","id":"596749aa1c...","tag":"toread"}
    {"v":1,"at":"...","type":"note","id":"596749aa1c...","text":"compare with the LoRA paper"}
    {"v":1,"at":"...","type":"unnote","id":"596749aa1c..."}          (clears the notes)
    {"v":1,"at":"...","type":"triage","id":"596749aa1c...","decision":"keep"}   (y, n, s)
    {"v":1,"at":"...","type":"read","id":"596749aa1c..."}
    {"v":1,"at":"...","type":"mute","term":"survey"}
    {"v":1,"at":"...","type":"follow","author":"Yann LeCun"}

They are keyed by the item id, which the store keeps when the same paper is
ingested again from any source (an arXiv feed merging into a dump item keeps
the dump item's id), so tags and notes survive re-ingests and cross-source
merges. A change is one small fsynced append under the store lock; the store
is never rewritten. :class:`ReadingList` folds the events (in file order) into
the current state; events of other types (deliveries, ...) are ignored.

What the ranking learns from (votes, mute terms, followed authors) leaves here as
plain data (:meth:`ReadingList.feedback`): ranking never imports the reading list.

Tag names follow :func:`digest.tags.normalize_tag`.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import field
from typing import TYPE_CHECKING

from digest.dates import day_start
from digest.errors import DigestError
from digest.identity import short_id
from digest.records import dataclass
from digest.store.files import checksum
from digest.store.format import (
    DECISIONS,
    FOLLOW,
    MUTE,
    NOTE,
    READ,
    READING_LIST_EVENTS,
    TAG,
    TRIAGE,
    TUNED,
    UNFOLLOW,
    UNMUTE,
    UNNOTE,
    UNREAD,
    UNTAG,
    UNTRIAGE,
)
from digest.tags import InvalidTag, normalize_tag
from digest.text import collapse

if TYPE_CHECKING:  # (kept light: the CLI reads SORTS at start-up)
    from digest.ranking.feedback import Feedback
    from digest.store import Store

NOTE_MAX = 2000
TERM_MAX = 100  # a muted term
AUTHOR_MAX = 200  # a followed author's name
EVENT_TYPES = READING_LIST_EVENTS


def clean_note(text: str) -> str:
    """A note as stored: one line, no control characters, at most NOTE_MAX characters."""
    t = collapse(text)
    if not t:
        raise DigestError("empty note (to remove an item's notes use --clear)")
    if len(t) > NOTE_MAX:
        raise DigestError(f"note longer than {NOTE_MAX} characters")
    return t


def clean_term(term: str) -> str:
    """A mute term as stored: one line, a word in it, at most TERM_MAX characters."""
    from digest.ranking.match import term_patterns

    t = collapse(term)
    if not t or not term_patterns(t):
        raise DigestError(f"a mute term needs a word, got {term!r}")
    if len(t) > TERM_MAX:
        raise DigestError(f"mute term longer than {TERM_MAX} characters")
    return t


def clean_author(name: str) -> str:
    """A followed author's name as stored: one line with a letter in it, at most AUTHOR_MAX characters."""
    t = collapse(name)
    if not any(c.isalnum() for c in t):
        raise DigestError(f"an author's name needs a letter, got {name!r}")
    if len(t) > AUTHOR_MAX:
        raise DigestError(f"author name longer than {AUTHOR_MAX} characters")
    return t


def _key(text: str) -> str:
    """Mute terms and author names are the same when they differ only in case and spacing."""
    return " ".join(text.casefold().split())


@dataclass
class Note:
    at: str
    text: str

    def to_dict(self) -> dict:
        return {"at": self.at, "text": self.text}


@dataclass
class ItemState:
    """One item's reading-list state: its current tags (tag -> when it was added), notes,
    triage decision (with when it was made) and read state."""

    tags: dict[str, str] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    decision: str = ""  # one of DECISIONS, or "" when not triaged
    decided: str = ""
    read: str = ""  # when it was marked read ("" = unread)

    @property
    def added(self) -> str:
        """When the item entered the reading list: its oldest current tag or note."""
        times = list(self.tags.values()) + [n.at for n in self.notes]
        return min(times) if times else ""

    @property
    def empty(self) -> bool:
        return not self.tags and not self.notes and not self.decision and not self.read


class ReadingList:
    """The current tags, notes, decisions, read states, mutes and follows, folded from the
    store's events."""

    def __init__(self) -> None:
        self.items: dict[str, ItemState] = {}
        self.muted: dict[str, tuple[str, str]] = {}  # key -> (term as written, when)
        self.followed: dict[str, tuple[str, str]] = {}  # key -> (name as written, when)
        self.tuned: list[tuple[str, str, str]] = []  # (section, key, when) of each `digest tune` change

    @classmethod
    def load(cls, store: Store) -> ReadingList:
        """The reading list now: the cached fold (``readinglist.json``) when it still describes the
        start of events.jsonl, plus the events appended since; the cache is refreshed when many
        events were folded anew. A daily command thus folds a day's events, not the whole history."""
        cached = _read_cache(store)
        rl, start = cached if cached is not None else (cls(), 0)
        end = start
        for offset, ev in store.events_from(start):
            rl.apply(ev)
            end = offset
        if end - start >= CACHE_MIN_BYTES:
            _write_cache(store, rl, end)
        return rl

    def to_json(self) -> dict:
        items = {i: [st.tags, [[n.at, n.text] for n in st.notes], st.decision, st.decided, st.read]
                 for i, st in self.items.items()}
        return {"items": items, "muted": self.muted, "followed": self.followed, "tuned": self.tuned}

    @classmethod
    def from_json(cls, d: dict) -> ReadingList:
        rl = cls()
        for i, (tags, notes, decision, decided, read) in d["items"].items():
            rl.items[i] = ItemState(dict(tags), [Note(at, text) for at, text in notes], decision, decided, read)
        rl.muted = {k: (v[0], v[1]) for k, v in d["muted"].items()}
        rl.followed = {k: (v[0], v[1]) for k, v in d["followed"].items()}
        rl.tuned = [(a, b, c) for a, b, c in d["tuned"]]
        return rl

    def apply(self, ev: dict) -> None:
        kind = ev.get("type")
        if kind not in EVENT_TYPES:
            return
        stamp = ev.get("at")
        at = stamp if isinstance(stamp, str) else ""
        if kind in (MUTE, UNMUTE, FOLLOW, UNFOLLOW):
            self._apply_global(kind, ev, at)
            return
        if kind == TUNED:
            section, key = ev.get("section"), ev.get("key")
            if isinstance(section, str) and isinstance(key, str):
                self.tuned.append((section, key, at))
            return
        item_id = ev.get("id")
        if not isinstance(item_id, str):
            return
        if kind in (TAG, UNTAG):
            tag = ev.get("tag")
            if not isinstance(tag, str) or not tag:
                return
            if kind == TAG:
                st = self.items.setdefault(item_id, ItemState())
                st.tags.setdefault(tag, at)
            elif item_id in self.items:
                self.items[item_id].tags.pop(tag, None)
        elif kind == NOTE:
            text = ev.get("text")
            if isinstance(text, str) and text:
                self.items.setdefault(item_id, ItemState()).notes.append(Note(at, text))
        elif kind == UNNOTE:
            held = self.items.get(item_id)
            text = ev.get("text")
            if held is not None and isinstance(text, str):  # one note: the last with this text
                for i in range(len(held.notes) - 1, -1, -1):
                    if held.notes[i].text == text:
                        del held.notes[i]
                        break
            elif held is not None:
                held.notes.clear()
        elif kind == TRIAGE:
            decision = ev.get("decision")
            if decision in DECISIONS:
                st = self.items.setdefault(item_id, ItemState())
                st.decision, st.decided = decision, at
        elif kind == UNTRIAGE:
            if item_id in self.items:
                self.items[item_id].decision = self.items[item_id].decided = ""
        elif kind == READ:
            self.items.setdefault(item_id, ItemState()).read = at or "?"
        elif kind == UNREAD and item_id in self.items:
            self.items[item_id].read = ""
        state = self.items.get(item_id)
        if state is not None and state.empty:
            del self.items[item_id]

    def _apply_global(self, kind: str, ev: dict, at: str) -> None:
        field_name, table = ("term", self.muted) if kind in (MUTE, UNMUTE) else ("author", self.followed)
        value = ev.get(field_name)
        if not isinstance(value, str) or not value.strip():
            return
        if kind in (MUTE, FOLLOW):
            table.setdefault(_key(value), (value, at))
        else:
            table.pop(_key(value), None)

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
            return [i for i, st in self.items.items() if st.tags or st.notes]
        return [i for i, st in self.items.items() if want <= st.tags.keys()]

    def tag_map(self) -> dict[str, list[str]]:
        """Item id -> its tags (sorted), for every item that has a tag."""
        return {i: sorted(st.tags) for i, st in self.items.items() if st.tags}

    def tagged_ids(self) -> set[str]:
        return {i for i, st in self.items.items() if st.tags}

    def decision_of(self, item_id: str) -> str:
        """The paper's triage decision (one of DECISIONS), "" when it was never triaged."""
        st = self.items.get(item_id)
        return st.decision if st else ""

    def is_read(self, item_id: str) -> bool:
        st = self.items.get(item_id)
        return bool(st and st.read)

    def triaged_ids(self) -> set[str]:
        """Papers with a decision that settles them (keep or reject); "later" ones come back."""
        return {i for i, st in self.items.items() if st.decision in ("keep", "reject")}

    def muted_terms(self) -> list[tuple[str, str]]:
        """Muted terms as (term, when muted), in the order they were muted."""
        return list(self.muted.values())

    def followed_authors(self) -> list[tuple[str, str]]:
        """Followed authors as (name, when followed), in the order they were followed."""
        return list(self.followed.values())

    def votes(self, positive_tags: Iterable[str] = ()) -> dict[str, int]:
        """What the reader said about papers, as votes: +1 for a paper kept in triage, carrying one
        of ``positive_tags`` or a note; -1 for one marked not interested (an explicit "no" wins over
        a tag); papers decided "later" and all others carry no vote."""
        want = set(positive_tags)
        out: dict[str, int] = {}
        for i, st in self.items.items():
            if st.decision == "reject":
                out[i] = -1
            elif st.decision == "keep" or st.notes or (want and want & st.tags.keys()):
                out[i] = 1
        return out

    def voted_at(self, item_id: str, positive_tags: Iterable[str] = ()) -> str:
        """When the paper's vote was cast: its decision, else its oldest learning tag or note."""
        st = self.items.get(item_id)
        if st is None:
            return ""
        if st.decision in ("keep", "reject"):
            return st.decided
        want = set(positive_tags)
        times = [at for t, at in st.tags.items() if t in want] + [n.at for n in st.notes]
        return min(times) if times else ""

    def feedback(self, positive_tags: Iterable[str] = ()) -> Feedback:
        """The reading list as the ranking sees it: votes, muted terms and followed authors."""
        from digest.ranking.feedback import Feedback

        return Feedback(votes=self.votes(positive_tags),
                        muted=tuple(t for t, _ in self.muted_terms()),
                        followed=tuple(a for a, _ in self.followed_authors()))


# --------------------------------------------------------------------------- the cache
CACHE_FORMAT = 1
CACHE_MIN_BYTES = 64 * 1024  # refresh the cache once this much was folded anew (a few hundred events)
_FINGERPRINT = 4096


def _fingerprint(store: Store, end: int) -> str | None:
    """A checksum of the first and the last 4 kB before ``end`` of events.jsonl (the file only grows:
    if both still match, so does what the cache folded)."""
    try:
        with open(store.events_path, "rb") as fh:
            fh.seek(0, 2)
            if fh.tell() < end:
                return None
            fh.seek(0)
            head = fh.read(min(end, _FINGERPRINT))
            fh.seek(max(0, end - _FINGERPRINT))
            tail = fh.read(end - max(0, end - _FINGERPRINT))
    except OSError:
        return None
    return checksum(head + b"\x00" + tail)


def _read_cache(store: Store) -> tuple[ReadingList, int] | None:
    import json

    from digest.store.format import READING_LIST

    try:
        data = json.loads((store.root / READING_LIST).read_bytes())
        if data.get("format") != CACHE_FORMAT or not isinstance(data.get("offset"), int):
            return None
        if _fingerprint(store, data["offset"]) != data.get("fingerprint"):
            return None
        return ReadingList.from_json(data["state"]), data["offset"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no cache, or a damaged one: fold from the start


def _write_cache(store: Store, rl: ReadingList, end: int) -> None:
    import json

    from digest.errors import StoreError
    from digest.store.files import atomic_write
    from digest.store.format import READING_LIST

    fingerprint = _fingerprint(store, end)
    if fingerprint is None or not store.root.is_dir():
        return
    data = {"format": CACHE_FORMAT, "offset": end, "fingerprint": fingerprint, "state": rl.to_json()}
    try:
        atomic_write(store.root / READING_LIST, json.dumps(data, separators=(",", ":")).encode("utf-8"))
    except (OSError, StoreError):
        pass  # a read-only store goes without the cache


# --------------------------------------------------------------------------- reading helpers
def ranking_inputs(store: Store, cfg, rl: ReadingList | None = None) -> tuple[dict[str, list[str]], Feedback]:
    """What the ranking needs from the reading list, from one fold of the events: the tags
    (item id -> tags) and the feedback (votes, with ``[learning] tags`` as positive tags;
    muted terms; followed authors)."""
    from digest.ranking.feedback import learning_settings

    rl = rl or ReadingList.load(store)
    return rl.tag_map(), rl.feedback(learning_settings(cfg)["tags"])


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


def locked(store: Store):
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
    with locked(store):
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
    with locked(store):
        ev = {"type": "note", "id": item_id, "text": text}
        if now:
            ev["at"] = now
        store.append_events([ev])
        title = _titles(store, [item_id]).get(item_id, "")
    return Change(item_id, title, added=[text])


def clear_notes(store: Store, prefix: str, *, now: str | None = None) -> Change:
    """Remove every note of the item (one ``unnote`` event; nothing when it has none)."""
    item_id = store.resolve(prefix)
    with locked(store):
        old = ReadingList.load(store).notes_of(item_id)
        if old:
            ev = {"type": "unnote", "id": item_id}
            if now:
                ev["at"] = now
            store.append_events([ev])
        title = _titles(store, [item_id]).get(item_id, "")
    return Change(item_id, title, removed=[n.text for n in old])


# --------------------------------------------------------------------------- actions
@dataclass
class Action:
    """One change to the reading list: the events that make it and the events that undo it
    (``digest triage`` writes the first when a key is pressed and the second on ``u``)."""

    what: str  # for a status line: "kept, #toread", "muted 'survey'", ...
    events: list[dict]
    undo: list[dict]

    @property
    def empty(self) -> bool:
        return not self.events


def record(store: Store, events: list[dict], rl: ReadingList | None = None, *, now: str | None = None) -> None:
    """Append ``events`` durably under the store lock (one append), stamped with the time, and
    fold them into ``rl`` when given, so an in-memory reading list stays current."""
    if not events:
        return
    from digest.store.format import utcnow

    stamp = now or utcnow()
    stamped = [{**ev, "at": ev.get("at") or stamp} for ev in events]
    with locked(store):
        store.append_events(stamped)
    if rl is not None:
        for ev in stamped:
            rl.apply(ev)


def decide_action(rl: ReadingList, item_id: str, decision: str, *, keep_tag: str | None = None) -> Action:
    """Triage a paper: ``keep`` (also tags it ``keep_tag``), ``reject`` or ``later``."""
    if decision not in DECISIONS:
        raise DigestError(f"unknown decision {decision!r} (expected one of: {', '.join(DECISIONS)})")
    before = rl.decision_of(item_id)
    events: list[dict] = [{"type": TRIAGE, "id": item_id, "decision": decision}]
    undo: list[dict] = [{"type": TRIAGE, "id": item_id, "decision": before} if before
                        else {"type": UNTRIAGE, "id": item_id}]
    what = {"keep": "kept", "reject": "not interested", "later": "decide later"}[decision]
    if decision == "keep" and keep_tag:
        tag = normalize_tag(keep_tag)
        if tag not in rl.tags_of(item_id):
            events.append({"type": TAG, "id": item_id, "tag": tag})
            undo.insert(0, {"type": UNTAG, "id": item_id, "tag": tag})
            what += f", #{tag}"
    return Action(what, events, undo)


def tag_action(rl: ReadingList, item_id: str, tags: Iterable[str]) -> Action:
    """Add tags (already normalised or not) that the paper does not carry yet."""
    have = set(rl.tags_of(item_id))
    added: list[str] = []
    for t in tags:
        nt = normalize_tag(t)
        if nt not in have and nt not in added:
            added.append(nt)
    return Action("tagged " + " ".join(f"#{t}" for t in added) if added else "already tagged",
                  [{"type": TAG, "id": item_id, "tag": t} for t in added],
                  [{"type": UNTAG, "id": item_id, "tag": t} for t in added])


def note_action(item_id: str, text: str) -> Action:
    text = clean_note(text)
    return Action("note added", [{"type": NOTE, "id": item_id, "text": text}],
                  [{"type": UNNOTE, "id": item_id, "text": text}])


def read_action(rl: ReadingList, item_id: str, read: bool = True) -> Action:
    if rl.is_read(item_id) == read:
        return Action("already read" if read else "already unread", [], [])
    on, off = ({"type": READ, "id": item_id}, {"type": UNREAD, "id": item_id})
    return Action("marked read" if read else "marked unread", [on if read else off], [off if read else on])


def _global_action(table: dict, value: str, on: bool, field_name: str, types: tuple[str, str],
                   words: tuple[str, str, str, str], show=str) -> Action:
    """Add (``on``) or remove a mute term or a followed author; a no-op says so and writes nothing.
    ``words``: what was done / undone, what it already is / is not."""
    known = table.get(_key(value))
    if (known is not None) == on:
        return Action(f"{words[2] if on else words[3]} {show(value)}", [], [])
    value = known[0] if known else value
    add, remove = {"type": types[0], field_name: value}, {"type": types[1], field_name: value}
    return Action(f"{words[0] if on else words[1]} {show(value)}", [add if on else remove], [remove if on else add])


def mute_action(rl: ReadingList, term: str, mute: bool = True) -> Action:
    """Mute a term (or with ``mute=False`` unmute it): it then counts as a negative interest."""
    return _global_action(rl.muted, clean_term(term), mute, "term", (MUTE, UNMUTE),
                          ("muted", "unmuted", "already muted:", "not muted:"), show=repr)


def follow_action(rl: ReadingList, author: str, follow: bool = True) -> Action:
    """Follow an author (or with ``follow=False`` stop): their papers get an author boost."""
    return _global_action(rl.followed, clean_author(author), follow, "author", (FOLLOW, UNFOLLOW),
                          ("following", "stopped following", "already following", "not following"))


def set_read(store: Store, prefixes: Iterable[str], *, read: bool = True) -> list[Change]:
    """Mark papers read (or unread): ``digest read`` / ``digest unread``."""
    ids = resolve_all(store, list(prefixes))
    if not ids:
        raise DigestError("no item id given")
    with locked(store):
        rl = ReadingList.load(store)
        titles = _titles(store, ids)
        changes, events = [], []
        for item_id in ids:
            action = read_action(rl, item_id, read)
            events.extend(action.events)
            word = "read" if read else "unread"
            changes.append(Change(item_id, titles.get(item_id, ""), added=[word] if action.events else [],
                                  unchanged=[] if action.events else [word]))
        record(store, events, rl)
    return changes


def set_preference(store: Store, kind: str, values: Iterable[str], *, on: bool = True) -> list[Action]:
    """Mute or unmute terms (``kind`` "mute"), follow or unfollow authors ("follow"): ``digest
    mute``, ``unmute``, ``follow``, ``unfollow``. Every value is checked before anything is
    written; one action per value."""
    check, build = (clean_term, mute_action) if kind == "mute" else (clean_author, follow_action)
    values = list(values)
    for v in values:
        check(v)
    with locked(store):
        rl = ReadingList.load(store)
        actions = []
        for v in values:
            action = build(rl, v, on)
            record(store, action.events, rl)
            actions.append(action)
    return actions

# --------------------------------------------------------------------------- revisions
def revisions(store: Store, *, after_run: int | None = None, since: str | None = None,
              ids: Iterable[str] | None = None, rl: ReadingList | None = None) -> list[tuple[dict, list[str]]]:
    """Papers on the reading list (tagged or noted) that a new arXiv version replaced in an ingest
    run above ``after_run``, on or after ``since`` (YYYY-MM-DD), or among ``ids`` (the papers an
    ingest just revised): ``(record, tags)``, the most recently revised first. The reading list
    is small: its papers are looked up by id."""
    rl = rl or ReadingList.load(store)
    start = day_start(since) if since is not None else None  # (a local day: digest.dates)
    listed = rl.ids_with()  # tagged or noted (a paper only triaged or read is not on the list)
    wanted = listed if ids is None else [i for i in dict.fromkeys(ids) if i in set(listed)]
    out = []
    for r in store.get_many(wanted, containing=b'"revised_run"'):  # (a paper never revised has no such key)
        run, at = r.get("revised_run"), r.get("revised_at")
        if not isinstance(run, int) or not isinstance(at, str):
            continue
        if ids is not None or (after_run is not None and run > after_run) or (start is not None and at >= start):
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
    decision: str = ""  # the triage decision ("" = never triaged)
    read: bool = False

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
        d["decision"] = self.decision or None
        d["read"] = self.read
        if self.score is not None:
            d["score"] = self.score
            d["matches"] = [m.to_dict() for m in self.matches]
        return d


def search_matcher(search: Iterable[str], store: Store | None = None):
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
            e = _entry(rl, r)
            if self.scorer is not None:
                s = self.scorer.score(r)
                e.score, e.matches = s.score, s.matches
            yield e


def _entry(rl: ReadingList, r: dict) -> Entry:
    rid = r["id"]
    return Entry(r, rl.tags_of(rid), rl.notes_of(rid), rl.added(rid), decision=rl.decision_of(rid),
                 read=rl.is_read(rid))


def listing(store: Store, *, tags: Iterable[str] = (), untagged: bool = False, untriaged: bool = False,
            read: bool | None = None, search: Iterable[str] = (), since: str | None = None,
            sort: str = "newest", scorer=None, rl: ReadingList | None = None,
            updated_since: str | None = None, limit: int | None = None) -> Listing:
    """The reading list, filtered and sorted, as a :class:`Listing` (read lazily).

    - ``tags``: papers carrying every one of these tags; none given: every
      paper with a tag or a note.
    - ``untagged``: instead, every stored paper without a tag.
    - ``untriaged``: instead, every stored paper never kept or rejected in triage
      (papers decided "later" included).
    - ``read``: True: only papers marked read; False: only the others.
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
    if untriaged and (want or untagged):
        raise DigestError("--untriaged cannot be combined with --tag or --untagged")
    rl = rl or ReadingList.load(store)
    if untagged or untriaged:
        skip = rl.tagged_ids() if untagged else rl.triaged_ids()
        rows: Iterable[tuple[int, int, dict]] = (x for x in store.iter_rows() if x[2]["id"] not in skip)
    else:
        ids = rl.ids_with(want)
        found: set[str] = set()
        rows = _noting(store.rows_of(ids), found)
    matcher, n_words = search_matcher(search, store)
    strings: dict[str, str] = {}  # equal dates and times shared: the keys of a big list stay small
    # the days are local (digest.dates): compared as the UTC times at which they begin
    since_at = day_start(since) if since else ""
    updated_at = day_start(updated_since) if updated_since else ""

    def keyed() -> Iterator[tuple]:
        """One flat tuple a paper that passes the filters: the sort key, then where the record is
        (ids are unique, so the place never decides the order). About 180 bytes a paper."""
        for off, n, r in rows:
            place = off * PLACE + n
            if updated_at and (r.get("revised_at") or "") < updated_at:
                continue
            if read is not None and rl.is_read(r["id"]) != read:
                continue
            if since or matcher is not None:
                e = _entry(rl, r)
                if since_at and (e.added or r.get("first_seen") or "") < since_at:
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
    if not (untagged or untriaged):
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
