"""What the reader taught the ranking outside config.toml, as plain data.

The reading list (triage votes, tags, notes, mute terms, followed authors) lives
above the ranking; it hands the ranking a :class:`Feedback` and the ranking
never imports it. ``[learning]`` in the config says how much each part counts.

- ``votes``: item id -> +1 (kept, tagged with a learning tag, noted) or -1 (not
  interested); they train the learned term weights (:mod:`digest.ranking.learned`).
- ``muted``: terms muted from ``digest triage`` (``m``) or ``digest mute``; each
  counts as an interest of weight ``[learning] mute_weight``.
- ``followed``: authors followed from ``digest triage`` (``a``) or ``digest follow``;
  each counts as an author boost of ``[learning] follow_weight``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

from digest.config import NUMBER, Checker
from digest.records import dataclass

# [learning]: every key, its type and default.
LEARNING_KEYS = {"enabled": bool, "tags": list, "weight": NUMBER, "max_terms": int,
                 "mute_weight": NUMBER, "follow_weight": NUMBER}
DEFAULT_LEARNING = {"enabled": True, "tags": ["toread"], "weight": 1.0, "max_terms": 40,
                    "mute_weight": -3.0, "follow_weight": 2.0}


@dataclass(frozen=True)
class Feedback:
    votes: Mapping[str, int] = field(default_factory=dict)
    muted: tuple[str, ...] = ()
    followed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.votes and not self.muted and not self.followed


def learning_settings(cfg) -> dict:
    """``[learning]`` with its defaults filled in (the table is checked when the config loads)."""
    return DEFAULT_LEARNING | dict(getattr(cfg, "learning", None) or {})


def check_learning(check: Checker, table) -> dict:
    """Validate the ``[learning]`` table: keys, types, tag names and ranges."""
    out = check.owned("learning", table, LEARNING_KEYS)
    if "weight" in table and table["weight"] < 0:
        raise check.fail("learning.weight", "must be 0 or more (0 switches the learned weights off)")
    if "max_terms" in table and not 0 <= table["max_terms"] <= 500:
        raise check.fail("learning.max_terms", "must be between 0 and 500")
    if "mute_weight" in table and table["mute_weight"] > 0:
        raise check.fail("learning.mute_weight", "must be 0 or negative (a mute term lowers a score)")
    return out
