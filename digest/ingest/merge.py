"""Combining what several sources say about one paper.

The merged record keeps the richest value of each field: the longer author
list, the complete abstract over a truncated one, the newest upvote count, the
union of links and categories, the arXiv abstract page as URL. A newer arXiv
version (a v2 or later, when the stored version is unknown) replaces title and
abstract; an older one, or a source that names no version, only fills in an
empty or truncated abstract of a known version. A paper is a cross-list only as
long as every listing that announced it announced it as one.
"""

from __future__ import annotations

from digest.identity import arxiv_abs_url

# Fields whose change makes an item "updated" (bookkeeping fields excluded).
CONTENT_KEYS = (
    "title", "abstract", "authors", "n_authors", "published", "upvotes", "org",
    "links", "truncated", "arxiv_id", "arxiv_version", "url", "categories",
)


def _union(a: list, b: list) -> list:
    out = list(a or [])
    seen = set(out)
    for x in b or []:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def is_newer_version(old: dict, new: dict) -> bool:
    """Is ``new`` a later arXiv version than the ``old`` record holds? A v2 (or later) is one also
    when the stored version is unknown (a Daily Papers page, the HF JSON): a version before it
    was out, so the stored text is at best as new."""
    old_v = old.get("arxiv_version") or 0
    new_v = new.get("arxiv_version") or 0
    return bool(new.get("arxiv_id")) and new_v > old_v and (old_v > 0 or new_v > 1)


def merge(old: dict, new: dict) -> dict:
    """Return ``old`` updated with what ``new`` (an Item dict) adds. Pure."""
    m = dict(old)
    old_v = old.get("arxiv_version") or 0
    new_v = new.get("arxiv_version") or 0
    newer_version = is_newer_version(old, new)
    # the text of an older version, or of a source that names none, after a known version's
    older_text = old_v > 0 and new_v < old_v

    if new.get("arxiv_id") and not old.get("arxiv_id"):
        m["arxiv_id"] = new["arxiv_id"]
    if new_v > old_v:
        m["arxiv_version"] = new_v

    if newer_version and new.get("title"):
        m["title"] = new["title"]
    if new.get("abstract"):
        old_abs = old.get("abstract") or ""
        if (
            newer_version
            or not old_abs
            or (old.get("truncated") and not new.get("truncated"))
            or (not older_text and old.get("truncated") == new.get("truncated")
                and len(new["abstract"]) > len(old_abs) + 20)
        ):
            m["abstract"] = new["abstract"]
            m["truncated"] = bool(new.get("truncated"))

    if len(new.get("authors") or []) > len(old.get("authors") or []):
        m["authors"] = list(new["authors"])
    counts = [c for c in (old.get("n_authors"), new.get("n_authors"), len(m.get("authors") or []) or None) if c]
    m["n_authors"] = max(counts) if counts else None
    if not old.get("published") and new.get("published"):
        m["published"] = new["published"]
    if new.get("upvotes") is not None:
        m["upvotes"] = new["upvotes"]
    if not old.get("org") and new.get("org"):
        m["org"] = new["org"]
    m["links"] = _union(old.get("links") or [], new.get("links") or [])
    m["categories"] = _union(old.get("categories") or [], new.get("categories") or [])
    if new.get("cross_list") is not None:  # a cross-list only while no followed listing announced it as its own
        m["cross_list"] = new["cross_list"] if old.get("cross_list") is None else bool(
            old["cross_list"] and new["cross_list"])
    if m.get("arxiv_id"):
        m["url"] = arxiv_abs_url(m["arxiv_id"])
    elif not old.get("url") and new.get("url"):
        m["url"] = new["url"]
    return m


def content_changed(old: dict, new: dict) -> list[str]:
    """The content fields that differ (empty when the paper is unchanged)."""
    return [k for k in CONTENT_KEYS if (old.get(k) or None) != (new.get(k) or None)]
