"""RIS for reference managers (Zotero, EndNote, Mendeley).

One record per paper, ``TY  - UNPB`` (an unpublished work: a preprint), the
tags Zotero's RIS translator maps::

    TY  - UNPB
    ID  - schmidt2025diffusion        the BibTeX export's key (the same paper, the same key)
    TI  - Diffusion Policies for Dexterous RL
    AU  - Schmidt, Anna               one per author, "Last, First[, Suffix]"
    PY  - 2025                        the publication year ...
    DA  - 2025/11/18                  ... and date, only when the source gave one
    AB  - ...
    UR  - https://arxiv.org/abs/2511.01234   the paper's page only (never a code link or a search)
    DB  - arXiv
    AN  - arXiv:2511.01234
    KW  - toread                      one per tag
    N1  - your note                   one per note
    ER  -

Nothing is invented: no ``AU`` when a source gave only the number of authors,
no ``PY``/``DA`` without a publication date (never the date the paper was
stored). RIS is line-based, so every value is one line of clean text
(:func:`digest.text.clean`: no control characters, no line breaks, so no value
can end a record or start a tag); lines end in CRLF as the format asks.
"""

from __future__ import annotations

import re

from digest.render import paper_url
from digest.render.bibtex import _arxiv, cite_keys
from digest.text import clean

EOL = "\r\n"
_SUFFIXES = ("jr", "sr", "ii", "iii", "iv")


def ris_name(name: str) -> str:
    """``Anna Schmidt`` -> ``Schmidt, Anna``; ``Martin Luther King Jr.`` -> ``King, Martin Luther, Jr.``.
    A name already in ``Last, First`` form, a single word or an organisation stays as it is."""
    name = clean(name)
    if "," in name or re.search(r"\band\b", name, re.IGNORECASE):
        return name
    parts = name.split()
    suffix = ""
    if len(parts) > 2 and parts[-1].lower().strip(".") in _SUFFIXES:
        suffix = parts.pop()
    if len(parts) < 2:
        return name
    return f"{parts[-1]}, {' '.join(parts[:-1])}" + (f", {suffix}" if suffix else "")


def _date(rec: dict) -> tuple[str, str] | None:
    """(PY, DA) from the publication date (YYYY, YYYY-MM or YYYY-MM-DD), or None."""
    v = rec.get("published")
    if not isinstance(v, str):
        return None
    m = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", v)
    if not m:
        return None
    return m.group(1), "/".join(p for p in m.groups() if p)


def ris_record(rec: dict, key: str, *, tags=(), notes=()) -> str:
    fields: list[tuple[str, str]] = [("TY", "UNPB"), ("ID", key), ("TI", clean(rec.get("title")) or "Untitled")]
    fields += [("AU", ris_name(a)) for a in rec.get("authors") or [] if clean(a)]
    date = _date(rec)
    if date:
        fields += [("PY", date[0]), ("DA", date[1])]
    if clean(rec.get("abstract")):
        fields.append(("AB", clean(rec["abstract"])))
    url = paper_url(rec)
    if url:
        fields.append(("UR", url))
    aid = _arxiv(rec)
    if aid:
        fields += [("DB", "arXiv"), ("AN", f"arXiv:{aid}")]
    fields += [("KW", clean(t)) for t in tags if clean(t)]
    fields += [("N1", clean(n)) for n in notes if clean(n)]
    return "".join(f"{tag}  - {value}{EOL}" for tag, value in fields) + f"ER  - {EOL}"


def render_ris(entries) -> str:
    """Entries (objects with ``record``, ``tags`` and ``notes``) as one RIS file."""
    entries = list(entries)
    keys = cite_keys(e.record for e in entries)
    return EOL.join(ris_record(e.record, keys[e.record["id"]], tags=e.tags, notes=[n.text for n in e.notes])
                    for e in entries)
