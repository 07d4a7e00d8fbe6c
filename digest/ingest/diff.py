"""Which stored paper an incoming one is, and whether it is new, updated or unchanged.

For each parsed item, :func:`ingest_items` finds the stored record of the same
paper (:meth:`digest.store.Store.lookup`: same arXiv id without version, else
same normalised title; two different arXiv ids never match), or one met earlier
in the same batch, merges what the item adds (:func:`digest.ingest.merge.merge`)
and classifies it:

- **new**: no stored record; it is written with ``first_seen``/``first_run`` of now.
- **updated**: a content field changed (``updated_fields`` names them; a new
  arXiv version is one, and then ``revised_at``/``revised_run`` say when); written again.
- **unchanged**: nothing changed; written again only to note a new source or the
  first sighting of the day (``last_seen``), so the history stays small.

Every ingest under one lock shares one run number (``Store.next_run``).
"""

from __future__ import annotations

from dataclasses import field

from digest import identity
from digest.feedback import QUIET, Feedback
from digest.ingest.merge import content_changed, is_newer_version, merge
from digest.item import Item
from digest.records import dataclass
from digest.store import Store
from digest.store.format import FORMAT, utcnow


@dataclass
class IngestResult:
    source: str
    parsed: int = 0
    new: list[dict] = field(default_factory=list)
    updated: list[dict] = field(default_factory=list)
    unchanged: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def merged(self) -> int:
        """Items of this input that were the same paper as another item of it (one arXiv id, or
        one title, twice), merged into it: with them the counts add up to ``parsed``."""
        return self.parsed - len(self.new) - len(self.updated) - len(self.unchanged)

    def counts(self) -> dict:
        return {
            "source": self.source,
            "parsed": self.parsed,
            "new": len(self.new),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "merged": self.merged,
        }


def ingest_items(store: Store, items: list[Item], *, source: str, dry_run: bool = False,
                 now: str | None = None, feedback: Feedback = QUIET, merged: int = 0) -> IngestResult:
    """Diff ``items`` against the store and append what is new or changed (lock held).
    ``merged``: entries the parser already merged into one of ``items`` (ParseResult.merged),
    counted as parsed and merged like the duplicates merged here."""
    now = now or utcnow()
    day = now[:10]
    result = IngestResult(source=source, parsed=len(items) + merged)
    run = store.next_run()
    pending: dict[str, dict] = {}  # id -> merged record (within this batch)
    stored: dict[str, dict | None] = {}  # id -> the stored record it started from
    by_arxiv: dict[str, str] = {}
    by_tkey: dict[str, list[str]] = {}  # title key -> ids in this batch (papers may share a title)
    label = f"ingesting {source}"
    for i, item in enumerate(items):
        if not i & 255:
            feedback.progress(label, i, len(items))
        d = item.to_dict()
        src = d.pop("source") or source
        aid = d.get("arxiv_id")
        tkey = identity.normalize_title(d["title"])
        # the same rules as Store.lookup: the arXiv id, else the title, never across two arXiv ids
        # (a title shared by several papers: the one with this abstract, as Store.lookup does)
        batch_id = by_arxiv.get(aid) if aid else None
        cands: list[str] = []
        if batch_id is None:
            cands = [c for c in dict.fromkeys((d["id"], *(by_tkey.get(tkey, ()) if tkey else ())))
                     if c in pending and not identity.different_arxiv(aid, pending[c].get("arxiv_id"))]
            batch_id = next((c for c in cands if identity.same_abstract(d["abstract"], pending[c].get("abstract"))),
                            None)
        taken = d["id"] in pending  # (by a different paper of this batch, when batch_id is None)
        base: dict | None
        if batch_id is not None:
            base = pending[batch_id]
        else:
            base, taken_ = store.lookup(d)
            taken = taken or taken_
            if base is not None and base["id"] in pending:  # as stored, before this batch changed it
                if identity.different_arxiv(aid, pending[base["id"]].get("arxiv_id")):
                    base, taken = None, True  # it has become another paper's in this batch
                else:
                    batch_id, base = base["id"], pending[base["id"]]
            if cands and (base is None or not identity.same_abstract(d["abstract"], base.get("abstract"))):
                batch_id, base = cands[0], pending[cands[0]]  # no stored paper has its abstract either
        if base is None:
            if taken:
                d["id"] = store.free_id(d, also_taken=pending)
            rec = {"v": FORMAT, "id": d["id"]}
            rec.update({k: v for k, v in d.items() if k != "id"})
            rec.update(sources=[src], first_seen=now, last_seen=now, first_run=run, last_run=run)
        else:
            rec = merge(base, d)
            rec["v"] = FORMAT
            if src not in rec.get("sources", []):
                rec["sources"] = list(rec.get("sources", [])) + [src]
        if batch_id is None:
            stored[rec["id"]] = base
        pending[rec["id"]] = rec
        if rec.get("arxiv_id"):
            by_arxiv[rec["arxiv_id"]] = rec["id"]
        for key in {identity.normalize_title(rec["title"]), tkey} - {""}:  # (no letter or digit: no key)
            ids = by_tkey.setdefault(key, [])
            if rec["id"] not in ids:
                ids.append(rec["id"])
    to_write = []
    for rid, rec in pending.items():
        old = stored[rid]
        if old is None:
            result.new.append(rec)
            to_write.append(rec)
            continue
        rec.pop("updated_fields", None)
        changed = content_changed(old, rec)
        if changed:
            rec["updated_fields"] = changed
            if is_newer_version(old, rec):
                rec["revised_at"], rec["revised_run"] = now, run  # a new version of a known one
            result.updated.append(rec)
        else:
            result.unchanged.append(rec)
        if changed or rec["sources"] != old.get("sources") or old.get("last_seen", "")[:10] != day:
            rec["last_seen"] = now
            rec["last_run"] = run
            to_write.append(rec)
    feedback.finished(label)
    if dry_run or not to_write:
        return result
    store.append_records(to_write)
    return result
