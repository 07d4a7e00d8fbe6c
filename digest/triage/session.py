"""A triage session without any interface: the papers, the action of every key, undo.

Every action is written when it is taken: :func:`digest.readinglist.record` appends
its events (one fsynced append under the store lock) before the interface shows
the change, so a killed session loses at most the key in flight. Each action
keeps the events that undo it; ``u`` appends those (undo is an event too, never
a rewrite). Another session (or command) may write to the store meanwhile: each
action is decided, under the store lock, on the reading list as the store has it
then (what was appended since is folded in first), so two sessions at once stay
consistent and an undo puts back what was there when the key was pressed.

Keys and what they write (``digest.store.format`` has the event formats):

    y  keep: a ``triage`` event (decision keep) and the keep tag ([triage] keep_tag)
    n  not interested: ``triage`` reject        s  decide later: ``triage`` later
    t  tags                 N  a note            r  read / unread
    m  mute a term          a  follow an author  o  open (marks the paper read)
    u  undo the last action of this session
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import field
from typing import TYPE_CHECKING

from digest.errors import DigestError
from digest.identity import short_id
from digest.ranking.match import normalize
from digest.ranking.score import FIELDS, Scored
from digest.readinglist import (
    Action,
    ReadingList,
    decide_action,
    follow_action,
    locked,
    mute_action,
    note_action,
    read_action,
    record,
    search_matcher,
    tag_action,
)
from digest.records import dataclass

if TYPE_CHECKING:
    from digest.store import Store

MARKS = {"keep": "y", "reject": "n", "later": "s", "": " "}  # the decision column of the list


@dataclass
class Outcome:
    """What an action did, for the status line."""

    text: str
    ok: bool = True
    url: str | None = None
    index: int | None = None  # the paper it changed


@dataclass
class TriageSession:
    store: Store
    entries: list[Scored]
    heading: str
    rl: ReadingList
    keep_tag: str = "toread"
    pool: int = 0  # papers the list was drawn from (before the triaged ones were left out)
    left_out: int = 0  # papers left out because they were triaged before
    undo_stack: list[tuple[int | None, Action]] = field(default_factory=list)
    seen: int = -1  # the size of events.jsonl that ``rl`` holds (-1: unknown, reloaded on the first key)

    # ------------------------------------------------------------------ reading
    def record_of(self, index: int) -> dict:
        return self.entries[index].record

    def id_of(self, index: int) -> str:
        return self.entries[index].record["id"]

    def decision(self, index: int) -> str:
        return self.rl.decision_of(self.id_of(index))

    def mark(self, index: int) -> str:
        return MARKS.get(self.decision(index), " ")

    def is_read(self, index: int) -> bool:
        return self.rl.is_read(self.id_of(index))

    def tags(self, index: int) -> list[str]:
        return self.rl.tags_of(self.id_of(index))

    def notes(self, index: int) -> list[str]:
        return [n.text for n in self.rl.notes_of(self.id_of(index))]

    def all_tags(self) -> list[str]:
        return list(self.rl.tag_counts())

    def muted_terms(self) -> list[str]:
        return [t for t, _ in self.rl.muted_terms()]

    def undecided(self) -> int:
        return sum(1 for s in self.entries if not self.rl.decision_of(s.record["id"]))

    def next_undecided(self, index: int) -> int:
        """The first paper after ``index`` without a decision (wrapping round), else ``index``."""
        n = len(self.entries)
        for step in range(1, n + 1):
            j = (index + step) % n
            if not self.decision(j):
                return j
        return index

    def term_choices(self, index: int) -> list[str]:
        """The wanted terms this paper matched, highest weight first: the candidates for ``m``."""
        s = self.entries[index]
        out: list[str] = []
        for m in sorted(s.matches, key=lambda m: -m.weight):
            if m.field in FIELDS and m.weight > 0 and m.term not in out:
                out.append(m.term)
        return out

    def author_choices(self, index: int) -> list[str]:
        return [a for a in self.record_of(index).get("authors") or [] if a.strip()]

    def filter(self, words: str) -> list[int]:
        """Indexes of the papers whose title, abstract or authors hold every word (by prefix)."""
        matcher, n = search_matcher([words], self.store)
        if matcher is None:
            return list(range(len(self.entries)))
        out = []
        for i, s in enumerate(self.entries):
            r = s.record
            text = " \n ".join([r.get("title") or "", r.get("abstract") or "", " ".join(r.get("authors") or [])])
            if len(matcher.find(normalize(text))) == n:
                out.append(i)
        return out

    # ------------------------------------------------------------------ writing
    def _events_size(self) -> int:
        try:
            return os.stat(self.store.events_path).st_size
        except FileNotFoundError:
            return 0

    def _catch_up(self) -> None:
        """Fold into ``rl`` what others appended since (the store lock is held: nothing is being
        appended, the tail is whole)."""
        size = self._events_size()
        if size == self.seen:
            return
        if 0 <= self.seen < size:
            for _, ev in self.store.events_from(self.seen):
                self.rl.apply(ev)
        else:
            self.rl = ReadingList.load(self.store)
        self.seen = size

    def _do(self, index: int | None, build: Callable[[ReadingList], Action]) -> Outcome:
        """Decide the action on the store as it is now and write it, both under the store lock
        (raises StoreBusy / StoreError: nothing recorded)."""
        with locked(self.store):
            self._catch_up()
            action = build(self.rl)
            if action.empty:
                return Outcome(action.what, ok=False)
            record(self.store, action.events, self.rl)
            self.seen = self._events_size()
        self.undo_stack.append((index, action))
        return Outcome(f"{self._label(index)}{action.what}", index=index)

    def _label(self, index: int | None) -> str:
        return f"{short_id(self.id_of(index))}: " if index is not None else ""

    def decide(self, index: int, decision: str) -> Outcome:
        item_id = self.id_of(index)
        return self._do(index, lambda rl: decide_action(rl, item_id, decision, keep_tag=self.keep_tag))

    def add_tags(self, index: int, text: str) -> Outcome:
        tags = [t for t in text.replace(",", " ").split() if t]
        if not tags:
            return Outcome("no tag given", ok=False)
        item_id = self.id_of(index)
        return self._do(index, lambda rl: tag_action(rl, item_id, tags))

    def add_note(self, index: int, text: str) -> Outcome:
        action = note_action(self.id_of(index), text)
        return self._do(index, lambda rl: action)

    def toggle_read(self, index: int) -> Outcome:
        item_id = self.id_of(index)
        return self._do(index, lambda rl: read_action(rl, item_id, not rl.is_read(item_id)))

    @staticmethod
    def _choose(answer: str, choices: list[str]) -> str:
        """A number picks from ``choices`` (1-based); anything else is taken as typed."""
        a = answer.strip()
        if a.isdigit():
            k = int(a)
            if not 1 <= k <= len(choices):
                raise DigestError(f"no choice {k} (1-{len(choices)})" if choices else "nothing to choose from")
            return choices[k - 1]
        return a

    def mute(self, index: int, answer: str) -> Outcome:
        term = self._choose(answer, self.term_choices(index))
        return self._do(index, lambda rl: mute_action(rl, term))

    def follow(self, index: int, answer: str) -> Outcome:
        author = self._choose(answer, self.author_choices(index))
        return self._do(index, lambda rl: follow_action(rl, author))

    def open_link(self, index: int) -> Outcome:
        """The paper's link (:func:`digest.render.paper_link`, as ``digest open``), marking it read."""
        from digest.render import paper_link

        url = paper_link(self.record_of(index)).url
        item_id = self.id_of(index)
        self._do(index, lambda rl: read_action(rl, item_id, True))  # already read: writes nothing
        return Outcome(url, url=url)

    def undo(self) -> Outcome:
        if not self.undo_stack:
            return Outcome("nothing to undo", ok=False)
        index, action = self.undo_stack[-1]
        with locked(self.store):
            self._catch_up()
            record(self.store, action.undo, self.rl)
            self.seen = self._events_size()
        self.undo_stack.pop()
        return Outcome(f"{self._label(index)}undone: {action.what}", index=index)

    def summary(self) -> str:
        kept = sum(1 for s in self.entries if self.rl.decision_of(s.record["id"]) == "keep")
        rejected = sum(1 for s in self.entries if self.rl.decision_of(s.record["id"]) == "reject")
        later = sum(1 for s in self.entries if self.rl.decision_of(s.record["id"]) == "later")
        return (f"{len(self.entries)} papers: {kept} kept, {rejected} not interested, {later} later, "
                f"{self.undecided()} undecided")
