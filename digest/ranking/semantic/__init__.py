"""Semantic relevance: papers ranked by meaning as well as by words (the ``semantic`` extra).

With ``pip install 'digest[semantic]'`` and a ``[semantic]`` table in config.toml, every
score gets a contribution for how close the paper's title and abstract are in meaning to
the interest terms and/or to the papers carrying the keep tags, measured with a small
static embedding model read from files on disk (:mod:`.model`; by default the weights
that the ``wordllama`` package ships), through vectors computed once at ingest and cached
beside the store (:mod:`.cache`), scored and explained by :mod:`.boost`.

This module is what the rest of digest imports: the ``[semantic]`` rules and settings,
with no heavy import. numpy and tokenizers load only when ``[semantic]`` is on.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from digest import paths
from digest.config import NUMBER, Checker
from digest.records import dataclass

# Before numpy loads (its submodules import this package first): the matrices are small, and
# a BLAS thread per core only spins (~120 ms of CPU per command measured). A user's setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

COMPARE = ("interests", "kept", "both")  # what a paper is compared with
DEFAULT_WEIGHT = 1.0
DEFAULT_COMPARE = "both"
DEFAULT_TAGS = ("toread",)
SEMANTIC_KEYS = {"enabled": bool, "weight": NUMBER, "compare": str, "tags": list, "model": str}
INSTALL_HINT = "pip install 'digest[semantic]'"
EXTRA_MODULES = ("numpy", "tokenizers")  # what the code imports; the default model is wordllama's files


@dataclass(frozen=True)
class SemanticSettings:
    weight: float = DEFAULT_WEIGHT
    compare: str = DEFAULT_COMPARE
    tags: tuple[str, ...] = DEFAULT_TAGS
    model: Path | None = None  # None: the files of the installed wordllama package

    @property
    def interests(self) -> bool:
        return self.compare in ("interests", "both")

    @property
    def kept(self) -> bool:
        return self.compare in ("kept", "both")


def missing_modules(model: Path | None) -> list[str]:
    """The extra's modules that are not installed (found, not imported)."""
    wanted = list(EXTRA_MODULES) + ([] if model is not None else ["wordllama"])
    out = []
    for name in wanted:
        try:
            if find_spec(name) is None:
                out.append(name)
        except (ImportError, ValueError):
            out.append(name)
    return out


def check_semantic(check: Checker, table: Any, config_path: Path) -> dict:
    """Validate ``[semantic]``: keys, types, ranges, the model folder, and that the extra is
    installed when the section is on (a one-line error saying what to install)."""
    table = out = check.owned("semantic", table, SEMANTIC_KEYS)  # (its tags normalised there)
    if table.get("compare", DEFAULT_COMPARE) not in COMPARE:
        raise check.fail("semantic.compare", f"must be one of {', '.join(COMPARE)}, got {table['compare']!r}")
    if "weight" in table and table["weight"] < 0:
        raise check.fail("semantic.weight", "must be 0 or more")
    out["tags"] = tuple(dict.fromkeys(out.get("tags", DEFAULT_TAGS)))
    model = None
    if "model" in table:
        if not table["model"].strip():  # ("" would be the config's own folder)
            raise check.fail("semantic.model", "must name the model's folder")
        model = Path(paths.from_config(table["model"], config_path)).expanduser()  # relative to the config file
        if not model.is_dir():
            found = "a file, not a folder" if model.exists() else "folder not found"
            raise check.fail("semantic.model", f"{found}: {model}")
        out["model"] = model
    if table.get("enabled", True):
        missing = missing_modules(model)
        if missing:
            raise check.fail("semantic", f"needs the semantic extra ({', '.join(missing)} not installed): "
                                         f"{INSTALL_HINT}, or set enabled = false")
    return out


def settings(cfg) -> SemanticSettings | None:
    """The semantic settings of a (checked) config, or None when it is off."""
    table = getattr(cfg, "semantic", None) or {}
    if not table or not table.get("enabled", True) or table.get("weight", DEFAULT_WEIGHT) == 0:
        return None
    return SemanticSettings(weight=float(table.get("weight", DEFAULT_WEIGHT)),
                            compare=table.get("compare", DEFAULT_COMPARE),
                            tags=tuple(table.get("tags", DEFAULT_TAGS)), model=table.get("model"))
