"""The digest as data: ranked entries plus the run's summary.

Every renderer (terminal, text, HTML, markdown, JSON) receives a
:class:`Report` and nothing else, so they all show the same ranking and the
same summary.
"""

from __future__ import annotations

from dataclasses import field
from typing import Literal

from digest.identity import short_id
from digest.ranking.score import Hidden, Scored
from digest.records import dataclass

# What a report is drawn from, a closed set: the latest ingest's new papers, every stored
# paper, the papers first seen since a date, the papers not yet emailed, or the papers a
# digest mail left out (``show --held-back RUN``).
Mode = Literal["new", "all", "since", "unsent", "held"]
MODES: tuple[Mode, ...] = ("new", "all", "since", "unsent", "held")
# What the entries are: the digest, or the papers it left out because of mute terms.
View = Literal["digest", "hidden"]


@dataclass
class SourceLine:
    """One source's part in this run."""

    name: str
    parsed: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # inputs unchanged since last time (not fetched/parsed)
    errors: list[str] = field(default_factory=list)
    note: str | None = None  # why nothing new was expected ("no announcement expected (Saturday)")

    def text(self) -> str:
        if self.errors and not self.parsed and not self.skipped:  # (inputs skipped as unchanged: say so)
            return f"{self.name}: failed"
        if self.note and not self.new and not self.updated:
            return f"{self.name}: {self.note}"
        bits = [f"{self.new} new"]
        if self.updated:
            bits.append(f"{self.updated} updated")
        bits.append(f"{self.parsed} parsed")
        if self.skipped:
            bits.append(f"{self.skipped} unchanged input{'s' if self.skipped != 1 else ''} skipped")
        if self.errors:
            bits.append(f"{len(self.errors)} failed")
        return f"{self.name}: " + ", ".join(bits)


@dataclass
class Revision:
    """A new arXiv version of a paper on the reading list (``record``: the paper as now stored)."""

    record: dict
    tags: list[str] = field(default_factory=list)  # its reading-list tags (none: it has notes only)

    def text(self) -> str:
        """``Updated: v3 of "Title" (on your toread list)``."""
        from digest.text import clean

        r = self.record
        tags = [clean(t) for t in self.tags if clean(t)]
        if not tags:
            where = "on your reading list"
        else:
            names = ", ".join(tags[:-1]) + (" and " if len(tags) > 1 else "") + tags[-1]
            where = f"on your {names} list{'s' if len(tags) > 1 else ''}"
        version = f"v{r['arxiv_version']}" if r.get("arxiv_version") else "a new version"
        return f'Updated: {version} of "{clean(r.get("title"))}" ({where})'


@dataclass
class Report:
    entries: list[Scored]
    heading: str  # e.g. "New papers, 2026-11-22"
    mode: Mode = "new"
    pool: int = 0  # how many papers the ranking was drawn from
    sources: list[SourceLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tags: dict[str, list[str]] = field(default_factory=dict)
    date: str = ""
    notes: list[str] = field(default_factory=list)  # informational lines (e.g. what a mail left out)
    hints: list[str] = field(default_factory=list)  # commands to type: terminal and the mail's text part only
    unmatched: int = 0  # papers left out because they matched none of the interests
    updates: list[Revision] = field(default_factory=list)  # new versions of reading-list papers: shown first
    cross_lists: str = "show"  # [show] cross_lists: "fold" shows cross-lists after the others, one line each
    cross_hidden: int = 0  # cross-lists left out ([show] cross_lists = "hide")
    hidden: Hidden = field(default_factory=Hidden)  # below min_score only because of mute terms
    view: View = "digest"  # "hidden": the entries are the papers mute terms hid (show --hidden)

    @property
    def parsed(self) -> int:
        return sum(s.parsed for s in self.sources)

    @property
    def new(self) -> int:
        return sum(s.new for s in self.sources)

    def summary(self) -> str:
        """One line: what this digest is drawn from, then what was left out (:meth:`left_out`)."""
        shown = len(self.entries)
        out = "; ".join([self._drawn_from(shown)] + self.left_out())
        if self.sources:
            out += " — " + "; ".join(s.text() for s in self.sources)
        return out

    def _drawn_from(self, shown: int) -> str:
        if self.sources:
            more = f", showing {shown}" if shown < self.pool else ""
            return f"{self.new} new of {self.parsed} parsed{more}"
        noun = "paper" if self.pool == 1 else "papers"
        what: dict[Mode, str] = {"new": f"new {noun}", "all": f"stored {noun}",
                                 "since": f"{noun} first seen in this period", "unsent": f"{noun} not yet emailed",
                                 "held": f"{noun} a mail left out"}
        if self.view == "hidden":
            more = f", showing {shown}" if shown < self.hidden.count else ""
            terms = self.hidden_clause().partition(" hidden by mute terms")[2]
            return f"{self.hidden.count} of {self.pool} {what.get(self.mode, noun)} hidden by mute terms{terms}{more}"
        return f"showing {shown} of {self.pool} {what.get(self.mode, noun)}"

    def left_out(self) -> list[str]:
        """What the summary says was left out, and how to see it: one clause each."""
        out = []
        if self.hidden.count and self.view != "hidden":
            out.append(self.hidden_clause() + " (--hidden shows them)")
        if self.unmatched:
            out.append(f"{self.unmatched} matched nothing (--unmatched shows them)")
        if self.cross_hidden:
            n = self.cross_hidden
            out.append(f'{n} cross-list{"s" if n != 1 else ""} hidden ([show] cross_lists = "hide")')
        return out

    def hidden_clause(self) -> str:
        """``3 hidden by mute terms: survey (2), investing (1)`` (empty when none)."""
        if not self.hidden.count:
            return ""
        terms = ", ".join(f"{t} ({n})" for t, n in sorted(self.hidden.by_term.items(), key=lambda kv: (-kv[1], kv[0])))
        return f"{self.hidden.count} hidden by mute terms: {terms}"

    def sections(self) -> tuple[list[Scored], list[Scored]]:
        """The entries to show in full, and those folded after them (cross-lists, with
        ``[show] cross_lists = "fold"``), each in rank order."""
        if self.cross_lists != "fold":
            return list(self.entries), []
        main = [s for s in self.entries if s.record.get("cross_list") is not True]
        return main, [s for s in self.entries if s.record.get("cross_list") is True]

    def highlighter(self):
        """One regex finding every word the report's entries matched (compiled once, not per
        entry): a match's ``lastgroup`` is ``"want"`` for a wanted term, ``"mute"`` for a mute one."""
        if not hasattr(self, "_hl"):
            self._hl = highlighter_of(self.entries + self.hidden.entries)
        return self._hl

    def tags_of(self, item_id: str) -> list[str]:
        return self.tags.get(item_id, [])


def highlighter_of(entries: list[Scored]):
    """The highlight regex of these entries' matched words (see :meth:`Report.highlighter`)."""
    from digest.ranking.match import highlight_regex

    want: set[str] = set()
    mute: set[str] = set()
    for s in entries:
        want |= s.forms()
        mute |= s.forms(mute=True)
    return highlight_regex(want, mute)


def entry_dict(s: Scored, rank: int, tags: list[str] | None = None) -> dict:
    """The JSON form of one ranked entry (``show --format json``): the record's fields (``url``
    only when the paper's page is known) and ``link``, the link every output gives it."""
    from digest.render import paper_link

    r = s.record
    d = {
        "rank": rank,
        "id": r["id"],
        "short_id": short_id(r["id"]),
        "score": s.score,
        "matches": [m.to_dict() for m in s.matches],
    }
    for k in ("title", "abstract", "authors", "n_authors", "published", "upvotes", "org",
              "links", "truncated", "arxiv_id", "url", "categories", "cross_list", "sources",
              "first_seen", "last_seen"):
        d[k] = r.get(k)
    d["link"] = paper_link(r).to_dict()
    d["tags"] = list(tags or [])
    return d
