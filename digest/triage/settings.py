"""``[triage]`` in config.toml: the tag ``y`` (keep) puts on a paper."""

from __future__ import annotations

from digest.config import Checker
from digest.tags import InvalidTag, normalize_tag

TRIAGE_KEYS = {"keep_tag": str}
DEFAULT_KEEP_TAG = "toread"


def keep_tag(cfg) -> str:
    return (getattr(cfg, "triage", None) or {}).get("keep_tag", DEFAULT_KEEP_TAG)


def check_triage(check: Checker, table) -> dict:
    table = check.table("triage", table)
    check.keys("triage", table, TRIAGE_KEYS)
    out = dict(table)
    if "keep_tag" in table:
        try:
            out["keep_tag"] = normalize_tag(table["keep_tag"])
        except InvalidTag as exc:
            raise check.fail("triage.keep_tag", str(exc)) from None
    return out
