"""Markdown: the digest for notes apps and issue trackers."""

from __future__ import annotations

import re

from digest.identity import short_id
from digest.ranking.report import Report
from digest.render import (
    cross_list_from,
    extra_links,
    grouped_matches,
    link_kind,
    match_label,
    meta_bits,
    paper_link,
    snippet,
)
from digest.text import clean

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~])")


def md_escape(text: object) -> str:
    """Plain text that Markdown shows literally (HTML escaped too)."""
    s = _escape(clean(text))
    return "\\" + s if s[:1] in "-+" and s else s


def md_url(url: str) -> str:
    """A URL safe inside Markdown's ``(...)``: a backslash is percent-encoded too, or ``\\)``
    would read as an escaped parenthesis and the link would run on into the rest of the line."""
    return url.replace("\\", "%5C").replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def _escape(s: str) -> str:
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def md_link(title: str, url: str | None) -> str:
    t = md_escape(title)
    if not url:
        return f"**{t}**"
    return f"**[{t}]({md_url(url)})**"


def md_paper(rec: dict) -> str:
    """The paper's title, bold, linked to its page, or to a title search labelled as one."""
    link = paper_link(rec)
    out = md_link(rec.get("title") or "(untitled)", link.url)
    return f"{out} ({link.label})" if link.search else out


def md_extra_links(rec: dict) -> str:
    """Code and project links as ``[code](...)``, ``[project](...)``."""
    return " · ".join(f"[{link_kind(u)}]({md_url(u)})" for u in extra_links(rec))


def md_highlighted(text: str, hl) -> str:
    """``text`` escaped, the words of wanted terms in **bold**, those of mute terms ~~struck~~."""
    text = clean(text)
    if hl is None:
        return md_escape(text)
    out, pos = [], 0
    for m in hl.finditer(text):
        out.append(_escape(text[pos:m.start()]))
        mark = "~~" if m.lastgroup == "mute" else "**"
        out.append(f"{mark}{_escape(m.group(0))}{mark}")
        pos = m.end()
    out.append(_escape(text[pos:]))
    s = "".join(out)
    return "\\" + s if s[:1] in "-+" else s


def _why(term: str, parts) -> str:
    neg = all(w < 0 for _, w in parts)
    before, term, after = match_label(term, parts)
    t = f"~~{md_escape(term)}~~" if neg else md_escape(term)
    return before + t + after


def render_markdown(report: Report) -> str:
    out = [f"# {md_escape(report.heading)}", "", f"_{md_escape(report.summary())}_", ""]
    for u in report.updates:  # new versions of papers on the reading list come first
        out.append(f"- **{md_escape(u.text())}** — [{md_escape(short_id(u.record['id']))}]"
                   f"({md_url(paper_link(u.record).url)})")
    if report.updates:
        out.append("")
    for w in report.warnings:
        out.append(f"> ⚠ {md_escape(w)}")
    if report.warnings:
        out.append("")
    if not report.entries:
        out.append("Nothing new." if not report.pool else "Nothing to show.")
    main, folded = report.sections()
    for i, s in enumerate(main, 1):
        r = s.record
        hl = report.highlighter()
        out.append(f"{i}. {md_paper(r)} — score {s.score:g} · `{short_id(r['id'])}`")
        bits = meta_bits(r)
        tags = report.tags_of(r["id"])
        if tags:
            bits.append(" ".join(f"#{t}" for t in tags))
        meta = [md_escape(" · ".join(bits))] if bits else []
        if extra_links(r):
            meta.append(md_extra_links(r))
        if meta:
            out.append("   " + " · ".join(meta))
        if r.get("abstract"):
            out.append(f"   > {md_highlighted(snippet(r['abstract'], hl, 300), hl)}")
        if s.matches:
            out.append("   matched: " + ", ".join(_why(term, parts) for term, parts in grouped_matches(s.matches)))
        if report.view == "hidden" and s.sunk_by:
            out.append(f"   hidden by the mute term ~~{md_escape(s.sunk_by)}~~")
        out.append("")
    if folded:  # [show] cross_lists = "fold": one line each, after the others
        out += [f"## Cross-lists ({len(folded)})", ""]
        for i, s in enumerate(folded, len(main) + 1):
            r = s.record
            out.append(f"{i}. {md_paper(r)} — score {s.score:g} · `{short_id(r['id'])}` · "
                       f"{md_escape(cross_list_from(r))}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
