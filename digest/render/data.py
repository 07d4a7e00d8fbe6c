"""Machine formats: JSON (one array) and JSON Lines (one object per line)."""

from __future__ import annotations

from digest.ranking.report import Report, entry_dict
from digest.render import to_json


def entries(report: Report) -> list[dict]:
    return [entry_dict(s, i, report.tags_of(s.record["id"])) for i, s in enumerate(report.entries, 1)]


def render_json(report: Report) -> str:
    return to_json(entries(report), indent=2) + "\n"


def render_jsonl(report: Report) -> str:
    return "".join(to_json(e) + "\n" for e in entries(report))
