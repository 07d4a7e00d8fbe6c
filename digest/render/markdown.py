"""Markdown: the digest for notes apps and issue trackers."""

from __future__ import annotations

import re

from digest.identity import short_id
from digest.ranking.report import Report
from digest.render import grouped_matches, meta_bits, paper_url, snippet
from digest.text import clean

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~])")


def md_escape(text: object) -> str:
    """Plain text that Markdown shows literally (HTML escaped too)."""
    s = clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return "\\" + s if s[:1] in "-+" and s else s


def md_link(title: str, url: str | None) -> str:
    t = md_escape(title)
    if not url:
        return f"**{t}**"
    u = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f"**[{t}]({u})**"


def render_markdown(report: Report) -> str:
    out = [f"# {md_escape(report.heading)}", "", f"_{md_escape(report.summary())}_", ""]
    for w in report.warnings:
        out.append(f"> ⚠ {md_escape(w)}")
    if report.warnings:
        out.append("")
    if not report.entries:
        out.append("Nothing new.")
    for i, s in enumerate(report.entries, 1):
        r = s.record
        hl = report.highlighter()
        out.append(f"{i}. {md_link(r.get('title', ''), paper_url(r))} — score {s.score:g} · `{short_id(r['id'])}`")
        bits = meta_bits(r)
        tags = report.tags_of(r["id"])
        if tags:
            bits.append(" ".join(f"#{t}" for t in tags))
        if bits:
            out.append(f"   {md_escape(' · '.join(bits))}")
        if r.get("abstract"):
            out.append(f"   > {md_escape(snippet(r['abstract'], hl, 300))}")
        if s.matches:
            out.append("   matched: " + ", ".join(
                f"{md_escape(term)} (" + ", ".join(f"{f} {w:+g}" for f, w in parts) + ")"
                for term, parts in grouped_matches(s.matches)))
        out.append("")
    return "\n".join(out).rstrip() + "\n"
