"""The digest as data: ranked entries plus the run's summary.

Every renderer (terminal, text, HTML, markdown, JSON) receives a
:class:`Report` and nothing else, so they all show the same ranking and the
same summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from digest.identity import short_id
from digest.ranking.score import Scored

# What a report is drawn from, a closed set: the latest ingest's new papers, every stored
# paper, the papers first seen since a date, or the papers not yet emailed.
Mode = Literal["new", "all", "since", "unsent"]
MODES: tuple[Mode, ...] = ("new", "all", "since", "unsent")


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

    def text(self) -> str:
        if self.errors and not self.parsed:
            return f"{self.name}: failed"
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

    @property
    def parsed(self) -> int:
        return sum(s.parsed for s in self.sources)

    @property
    def new(self) -> int:
        return sum(s.new for s in self.sources)

    def summary(self) -> str:
        """One line: what this digest is drawn from."""
        shown = len(self.entries)
        if self.sources:
            head = f"{self.new} new of {self.parsed} parsed"
            per = "; ".join(s.text() for s in self.sources)
            more = f", showing {shown}" if shown < self.pool else ""
            return f"{head}{more} — {per}"
        what: dict[Mode, str] = {"new": "new", "all": "stored", "since": "new in this period",
                                 "unsent": "not yet emailed"}
        noun = "paper" if self.pool == 1 else "papers"
        return f"showing {shown} of {self.pool} {what.get(self.mode, '')} {noun}".replace("  ", " ")

    def highlighter(self):
        """One regex finding every matched term of the report (compiled once, not per entry:
        a term that occurs in an entry's text is a term that entry matched)."""
        if not hasattr(self, "_hl"):
            from digest.ranking.match import highlight_regex

            self._hl = highlight_regex({t for s in self.entries for t in s.terms})
        return self._hl

    def tags_of(self, item_id: str) -> list[str]:
        return self.tags.get(item_id, [])


def entry_dict(s: Scored, rank: int, tags: list[str] | None = None) -> dict:
    """The JSON form of one ranked entry (``show --format json``)."""
    r = s.record
    d = {
        "rank": rank,
        "id": r["id"],
        "short_id": short_id(r["id"]),
        "score": s.score,
        "matches": [m.to_dict() for m in s.matches],
    }
    for k in ("title", "abstract", "authors", "n_authors", "published", "upvotes", "org",
              "links", "truncated", "arxiv_id", "url", "categories", "sources",
              "first_seen", "last_seen"):
        d[k] = r.get(k)
    d["tags"] = list(tags or [])
    return d
