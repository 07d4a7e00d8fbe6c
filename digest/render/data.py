"""Machine formats: JSON (one array) and JSON Lines (one object per line)."""

from __future__ import annotations

import json

from digest.report import Report, entry_dict


def entries(report: Report) -> list[dict]:
    return [entry_dict(s, i, report.tags_of(s.record["id"])) for i, s in enumerate(report.entries, 1)]


def render_json(report: Report) -> str:
    return json.dumps(entries(report), ensure_ascii=False, indent=2) + "\n"


def render_jsonl(report: Report) -> str:
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries(report))
