"""Ranking quality on the development set in ../shared/judged, next to a naive baseline.

    python benchmarks/ranking.py                     # every variant, a table per variant
    python benchmarks/ranking.py --variant keywords  # one variant
    python benchmarks/ranking.py --json              # machine-readable
    python benchmarks/ranking.py --shared DIR        # the shared folder (default: ../shared beside the repo)

The three saved Daily Papers pages of ``shared/dumps`` are ingested, in order, into a
temporary store with the installed ``digest``. For each of the seven reader profiles of
``shared/judged/profiles.json`` a config is written whose ``[interests]`` are the profile's
``terms`` and ``negative`` terms, and the whole store is ranked by the real command
(``digest show --all --format json``, in a subprocess). Each judged title is mapped to its
stored paper by normalised title (case, accents, punctuation and spacing folded); a judged
paper that is not found stops the benchmark.

Figures per profile, over the evaluation pool (all 224 distinct papers, less any held out):

- R-precision: with R = the number of grade-2 papers in the pool, the fraction of the top R
  that are grade 2 (grade 1 counts as not relevant);
- nDCG@10: gain = grade (0/1/2), discount 1/log2(rank + 1), the ideal DCG from the best
  ordering of every judged paper in the pool;
- P@10: the fraction of the top 10 with grade >= 1.

The naive baseline scores each paper by the sum of the weights of the profile's terms
(negative ones included) found as case-insensitive substrings of title + " " + abstract,
each term once, on the same pool. Ties (in digest's scores and the baseline's alike) are
broken by order of first appearance in the dumps: 000, then 002, then 004, top to bottom.

A *variant* is a transform of the config table plus an optional preparation of the store
(for instance tagging papers); preparations name the papers they hold out of the pool.
Add a variant by appending to ``VARIANTS``: later ones (weights learned from simulated
triage) fit the same two hooks. The semantic variants (issue 13) need the semantic extra; the
last column compares each variant's grade-2 papers in the top R with its baseline's (keywords,
or tagged5 for the tagged ones), with a one-sided sign test. The design study of the semantic
contribution (variants named ``… B``, ``C``, ``D``, ``E``, ``BE``; benchmarks/RESULTS.md) runs digest
with constants of ``digest.ranking.semantic.boost`` set in its process (``Variant.patch``).

This is a development set: it confirms rules, it must never tune them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from run import digest_cmd, print_grid  # noqa: E402  (the installed digest beside this Python, else the one on PATH)

DUMP_ORDER = ("000", "002", "004")
PROFILE_GROUPS = (("R1–R7", None), ("R1–R4", ("R1", "R2", "R3", "R4")), ("R5–R7", ("R5", "R6", "R7")))
TIE_BREAK = "ties broken by order of first appearance in the dumps (000, then 002, then 004, top to bottom)"
TAG = "toread"
BIG = 1_000_000


class BenchError(Exception):
    """Something about the shared data or the digest command that stops the benchmark."""


_NON_ALNUM = re.compile(r"[\W_]+")


def title_key(title: str) -> str:
    """A title for matching judged titles to stored papers: case, accents, punctuation, spacing folded."""
    t = unicodedata.normalize("NFKD", title.casefold())
    t = "".join(c for c in t if not unicodedata.combining(c))
    return " ".join(_NON_ALNUM.sub(" ", t).split())


# --------------------------------------------------------------------------- the data
@dataclass
class Profile:
    pid: str
    name: str
    terms: dict[str, float]
    negative: dict[str, float]
    grades: dict[str, int] = field(default_factory=dict)  # paper id -> grade

    @property
    def interests(self) -> dict[str, float]:
        return {**self.terms, **self.negative}


@dataclass
class Paper:
    id: str
    title: str
    abstract: str
    position: int  # order of first appearance in the dumps


def toml_string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return toml_string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(f"no TOML for {v!r}")


def to_toml(table: dict) -> str:
    """A two-level table (sections of scalar keys) as TOML."""
    out = []
    for section, body in table.items():
        out.append(f"[{section}]")
        for key, value in body.items():
            out.append(f"{toml_string(key)} = {toml_value(value)}")
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- variants
@dataclass
class Prepared:
    """What a variant's preparation did to one profile's store."""

    held_out: list[str] = field(default_factory=list)  # paper ids left out of the evaluation pool
    how: str = ""


@dataclass
class World:
    """One profile's store and config, and a way to run digest on them."""

    profile: Profile
    papers: list[Paper]  # in dump order
    store: Path
    config: Path

    patch: dict = field(default_factory=dict)  # module constants set in digest's process (a design variant)

    def digest(self, *args: str, stdin: str | None = None) -> str:
        return run_digest(["--store", str(self.store), "--config", str(self.config), *args], stdin=stdin,
                          patch=self.patch)


@dataclass
class Variant:
    name: str
    summary: str
    config: Callable[[dict, Profile], dict] = lambda table, profile: table
    prepare: Callable[[World], Prepared] | None = None  # None: the shared keyword store is ranked as is
    score: Callable[[dict], float] | None = None  # a paper's score from its JSON entry (None: its "score")
    baseline: str = "keywords"  # the variant whose top R this one's is compared with
    patch: dict = field(default_factory=dict)  # "module.CONSTANT" -> value, set before digest runs


def base_config(profile: Profile) -> dict:
    return {"interests": dict(profile.interests)}


def with_similarity(table: dict, profile: Profile) -> dict:
    return {**table, "similarity": {"tags": [TAG]}}


def tag_first_grade2(n: int) -> Callable[[World], Prepared]:
    """Tag the first ``n`` grade-2 papers of the profile, in dump order, and hold them out."""

    def prepare(world: World) -> Prepared:
        chosen = [p for p in world.papers if world.profile.grades.get(p.id) == 2][:n]
        if len(chosen) < n:
            raise BenchError(f"{world.profile.pid}: only {len(chosen)} grade-2 papers, {n} wanted")
        world.digest("tag", *[p.id for p in chosen], "-t", TAG)
        return Prepared([p.id for p in chosen],
                        f"tagged {TAG!r}: the first {n} grade-2 papers in dump order, held out of the pool")

    return prepare


def matching(**rules) -> Callable[[dict, Profile], dict]:
    """A config transform: these [matching] settings on top of the table."""

    def transform(table: dict, profile: Profile) -> dict:
        return {**table, "matching": {**table.get("matching", {}), **rules}}

    return transform


def semantic(weight: float = 1.0, compare: str = "interests") -> Callable[[dict, Profile], dict]:
    """A config transform: [semantic] on (the default model) with this weight and comparison."""

    def transform(table: dict, profile: Profile) -> dict:
        return {**table, "semantic": {"weight": weight, "compare": compare}}

    return transform


def design(interests: str = "nearest", kept: str = "nearest", title: float = 0.0) -> dict:
    """A design of the semantic contribution (benchmarks/RESULTS.md, "A better-founded contribution?"):
    the constants of digest.ranking.semantic.boost it sets."""
    b = "digest.ranking.semantic.boost."
    return {b + "INTERESTS_AS": interests, b + "KEPT_AS": kept, b + "TITLE_SHARE": title}


DESIGNS = {"B": design("profile"), "C": design(title=2.0), "D": design("profile", title=2.0)}
DESIGN_NAMES = {"B": "the profile vector", "C": "the nearest term, title 2:1", "D": "the profile vector, title 2:1"}
KEPT_DESIGNS = {"B": design("profile"), "E": design(kept="centroid"), "BE": design("profile", "centroid")}
KEPT_DESIGN_NAMES = {"B": "the terms' profile vector, the nearest kept paper",
                     "E": "the nearest term, the centred centroid of the kept papers",
                     "BE": "the terms' profile vector, the centred centroid of the kept papers"}


def semantic_part(entry: dict) -> float:
    """The semantic contribution alone (for the semantic-only variants)."""
    return sum(m["weight"] for m in entry["matches"] if m["field"] == "semantic")


RULES_OFF = {"stemming": False, "compounds": False, "abbreviations": False, "acronym_names": False,
             "connectives": False, "damping": False}

VARIANTS: list[Variant] = [
    Variant("keywords", "the profile's terms and negative terms as [interests], nothing else"),
    Variant("tagged5", "the same, with 5 grade-2 papers per profile tagged and [similarity] tags = [\"toread\"] "
                       "(defaults otherwise)", config=with_similarity, prepare=tag_first_grade2(5), baseline="tagged5"),
    # per-rule ablations of the keyword ranking: one [matching] rule off at a time
    Variant("-stemming", "keywords, [matching] stemming = false", config=matching(stemming=False)),
    Variant("-compounds", "keywords, [matching] compounds = false", config=matching(compounds=False)),
    Variant("-abbreviations", "keywords, [matching] abbreviations = false", config=matching(abbreviations=False)),
    Variant("-acronym_names", "keywords, [matching] acronym_names = false", config=matching(acronym_names=False)),
    Variant("-connectives", "keywords, [matching] connectives = false", config=matching(connectives=False)),
    Variant("-damping", "keywords, [matching] damping = false", config=matching(damping=False)),
    Variant("overlap=weight", "keywords, [matching] overlap = \"weight\" (highest weight wins)",
            config=matching(overlap="weight")),
    Variant("rules-off", "keywords with every rule above off (whole words, spellings as written)",
            config=matching(**RULES_OFF)),
    Variant("+stemming", "rules-off, then stemming on", config=matching(**{**RULES_OFF, "stemming": True})),
    Variant("tagged5-stemming", "tagged5, [matching] stemming = false",
            config=lambda t, p: with_similarity(matching(stemming=False)(t, p), p), prepare=tag_first_grade2(5),
            baseline="tagged5"),
    # the semantic extra (issue 13): meaning as well as words; needs pip install 'digest[semantic]'
    Variant("semantic-only", "the semantic contribution alone ([semantic] compare = \"interests\")",
            config=semantic(1.0), score=semantic_part),
    *[Variant(f"+semantic {w:g}", f"keywords + [semantic] weight = {w:g}" + (" (the default)" if w == 1.0 else ""),
              config=semantic(w)) for w in (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)],
    Variant("tagged5 semantic-only(kept)", "tagged5's store, the semantic contribution alone, compared with the "
            "tagged papers", config=semantic(1.0, "kept"), prepare=tag_first_grade2(5), score=semantic_part,
            baseline="tagged5"),
    *[Variant(f"tagged5+semantic {w:g}", f"tagged5 + [semantic] weight = {w:g}, compare = \"both\""
              + (" (the default)" if w == 1.0 else ""),
              config=lambda t, p, w=w: semantic(w, "both")(with_similarity(t, p), p), prepare=tag_first_grade2(5),
              baseline="tagged5") for w in (0.5, 1.0, 1.5, 2.0)],
    Variant("tagged5 words+semantic 1", "5 tagged, [similarity] off, [semantic] weight = 1, compare = \"both\"",
            config=semantic(1.0, "both"), prepare=tag_first_grade2(5), baseline="tagged5"),
    # the design study of the semantic contribution (A = the variants above)
    *[v for d, patch in DESIGNS.items() for v in (
        Variant(f"semantic-only {d}", f"the semantic contribution alone, design {d}: {DESIGN_NAMES[d]}",
                config=semantic(1.0), score=semantic_part, patch=patch),
        Variant(f"+semantic 1 {d}", f"keywords + [semantic] weight = 1, design {d}: {DESIGN_NAMES[d]}",
                config=semantic(1.0), patch=patch))],
    *[Variant(f"+semantic {w:g} B", f"keywords + [semantic] weight = {w:g}, design B: {DESIGN_NAMES['B']}",
              config=semantic(w), patch=DESIGNS["B"]) for w in (0.5, 1.5, 2.0, 3.0, 4.0)],
    Variant("tagged5 semantic-only(kept) E", "tagged5's store, the semantic contribution alone, compared with the "
            "centred centroid of the tagged papers (design E)", config=semantic(1.0, "kept"),
            prepare=tag_first_grade2(5), score=semantic_part, baseline="tagged5", patch=design(kept="centroid")),
    *[Variant(f"tagged5+semantic 1 {d}", f"tagged5 + [semantic] weight = 1, compare = \"both\", design {d}: "
              + KEPT_DESIGN_NAMES[d], config=lambda t, p: semantic(1.0, "both")(with_similarity(t, p), p),
              prepare=tag_first_grade2(5), baseline="tagged5", patch=patch) for d, patch in KEPT_DESIGNS.items()],
    *[Variant(f"tagged5+semantic {w:g} BE", f"tagged5 + [semantic] weight = {w:g}, compare = \"both\", design BE: "
              + KEPT_DESIGN_NAMES["BE"], config=lambda t, p, w=w: semantic(w, "both")(with_similarity(t, p), p),
              prepare=tag_first_grade2(5), baseline="tagged5", patch=KEPT_DESIGNS["BE"]) for w in (0.5, 1.5, 2.0)],
]


# --------------------------------------------------------------------------- running digest
PATCHED = """import importlib, sys
for name, value in {patch!r}.items():
    module, _, attr = name.rpartition(".")
    setattr(importlib.import_module(module), attr, value)
from digest.cli import cli
sys.argv[0] = "digest"
cli()
"""


def run_digest(args: list[str], *, stdin: str | None = None, patch: dict | None = None) -> str:
    """``digest ARGS``; with ``patch``, digest's module constants set first (in its own process)."""
    env = dict(os.environ)
    for k in ("DIGEST_CONFIG", "NO_COLOR", "FORCE_COLOR"):
        env.pop(k, None)
    cmd = [sys.executable, "-c", PATCHED.format(patch=patch)] if patch else digest_cmd()
    p = subprocess.run(cmd + args, input=stdin, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise BenchError(f"digest {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
    return p.stdout


def rank_with_digest(world: World, score: Callable[[dict], float] | None = None) -> list[tuple[float, str]]:
    out = world.digest("show", "--all", "--unmatched", "--limit", str(BIG), "--min-score", "-1e12", "--format", "json")
    return [(float(score(e) if score else e["score"]), e["id"]) for e in json.loads(out)]


def naive_scores(profile: Profile, papers: list[Paper]) -> dict[str, float]:
    terms = [(t.lower(), w) for t, w in profile.interests.items()]
    out = {}
    for p in papers:
        text = f"{p.title} {p.abstract}".lower()
        out[p.id] = float(sum(w for t, w in terms if t in text))
    return out


# --------------------------------------------------------------------------- metrics
def order(scores: dict[str, float], position: dict[str, int], pool: set[str]) -> list[str]:
    """The pool ranked by score, ties by first appearance in the dumps."""
    return sorted(pool, key=lambda i: (-scores[i], position[i]))


def metrics(ranked: list[str], grades: dict[str, int]) -> dict:
    g = [grades[i] for i in ranked]
    r = sum(1 for x in g if x == 2)
    in_r = sum(1 for x in g[:r] if x == 2)
    dcg = sum(x / math.log2(k + 2) for k, x in enumerate(g[:10]))
    ideal = sorted(g, reverse=True)
    idcg = sum(x / math.log2(k + 2) for k, x in enumerate(ideal[:10]))
    top10 = g[:10]
    return {
        "r_precision": in_r / r if r else 0.0, "grade2_in_top_r": in_r, "r": r,
        "ndcg10": dcg / idcg if idcg else 0.0,
        "top10_grade2": sum(1 for x in top10 if x == 2), "top10_grade1": sum(1 for x in top10 if x == 1),
        "p10": sum(1 for x in top10 if x >= 1) / len(top10) if top10 else 0.0,
        "top10_relevant": sum(1 for x in top10 if x >= 1), "top10": len(top10),
        "pool": len(ranked), "top_r_grade2": [i for i in ranked[:r] if grades[i] == 2],
    }


def mean_of(rows: list[dict]) -> dict:
    n = len(rows)
    out: dict = {k: sum(r[k] for r in rows) / n for k in ("r_precision", "ndcg10", "p10")}
    for k in ("grade2_in_top_r", "r", "top10_grade2", "top10_grade1", "top10_relevant", "top10", "pool"):
        out[k] = sum(r[k] for r in rows)
    return out


# --------------------------------------------------------------------------- the benchmark
def load_shared(shared: Path) -> tuple[list[Path], dict, list[dict]]:
    dumps_dir, judged = shared / "dumps", shared / "judged"
    dumps = []
    for prefix in DUMP_ORDER:
        found = sorted(dumps_dir.glob(f"{prefix}_*.txt"))
        if len(found) != 1:
            raise BenchError(f"{dumps_dir}: expected one dump named {prefix}_*.txt, found {len(found)}")
        dumps.append(found[0])
    profiles = json.loads((judged / "profiles.json").read_text(encoding="utf-8"))
    judgments = [json.loads(line) for line in (judged / "judgments.jsonl").read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    return dumps, profiles, judgments


def build(shared: Path, tmp: Path) -> tuple[Path, list[Paper], list[Profile]]:
    """Ingest the dumps into a store under ``tmp``; the papers in dump order; the judged profiles."""
    dumps, raw_profiles, judgments = load_shared(shared)
    store = tmp / "store"
    for dump in dumps:  # one at a time, in order: first_seen follows the dumps
        run_digest(["--store", str(store), "ingest", str(dump)])
    position: dict[str, int] = {}  # title key -> first appearance
    for dump in dumps:
        for line in run_digest(["parse", str(dump), "--format", "jsonl"]).splitlines():
            position.setdefault(title_key(json.loads(line)["title"]), len(position))
    empty = tmp / "empty.toml"
    empty.write_text("")
    stored = json.loads(run_digest(["--store", str(store), "--config", str(empty), "show", "--all", "--limit",
                                    str(BIG), "--min-score", "-1e12", "--format", "json"]))
    by_key: dict[str, Paper] = {}
    for e in stored:
        key = title_key(e["title"])
        if key in by_key:
            raise BenchError(f"two stored papers share the normalised title {key!r}")
        if key not in position:
            raise BenchError(f"stored paper {e['id']} is in no dump: {e['title']!r}")
        by_key[key] = Paper(e["id"], e["title"], e.get("abstract") or "", position[key])
    profiles = [Profile(pid, p["name"], {k: float(v) for k, v in p["terms"].items()},
                        {k: float(v) for k, v in p.get("negative", {}).items()})
                for pid, p in raw_profiles.items()]
    missing = []
    for j in judgments:
        paper = by_key.get(title_key(j["title"]))
        if paper is None:
            missing.append(j["title"])
            continue
        for prof in profiles:
            prof.grades[paper.id] = int(j[prof.pid])
    if missing:
        raise BenchError(f"{len(missing)} judged papers not found in the store, e.g. {missing[0]!r}")
    unjudged = [p.title for p in by_key.values() if p.id not in profiles[0].grades]
    if unjudged:
        raise BenchError(f"{len(unjudged)} stored papers have no judgment, e.g. {unjudged[0]!r}")
    papers = sorted(by_key.values(), key=lambda p: p.position)
    return store, papers, profiles


def run_variant(variant: Variant, store: Path, papers: list[Paper], profiles: list[Profile], tmp: Path) -> dict:
    position = {p.id: p.position for p in papers}
    result = {"name": variant.name, "summary": variant.summary, "profiles": {}, "held_out": {},
              "baseline": variant.baseline}
    for prof in profiles:
        vdir = tmp / variant.name / prof.pid
        vdir.mkdir(parents=True)
        vstore = store
        if variant.prepare is not None:  # a store of its own, since the preparation changes it
            vstore = vdir / "store"
            shutil.copytree(store, vstore)
        cfg = vdir / "config.toml"
        cfg.write_text(to_toml(variant.config(base_config(prof), prof)), encoding="utf-8")
        world = World(prof, papers, vstore, cfg, variant.patch)
        prepared = variant.prepare(world) if variant.prepare else Prepared()
        pool = set(prof.grades) - set(prepared.held_out)
        ranked = rank_with_digest(world, variant.score)
        scores = {i: s for s, i in ranked}
        if set(scores) != set(position):
            raise BenchError(f"{variant.name}/{prof.pid}: digest ranked {len(scores)} papers, "
                             f"the store holds {len(position)}")
        naive = naive_scores(prof, papers)
        result["profiles"][prof.pid] = {
            "name": prof.name,
            "digest": metrics(order(scores, position, pool), prof.grades),
            "naive": metrics(order(naive, position, pool), prof.grades),
        }
        if prepared.held_out:
            result["held_out"][prof.pid] = prepared.held_out
            result["how"] = prepared.how
    result["means"] = {}
    for label, members in PROFILE_GROUPS:
        rows = [v for k, v in result["profiles"].items() if members is None or k in members]
        result["means"][label] = {s: mean_of([r[s] for r in rows]) for s in ("digest", "naive")}
    return result


# --------------------------------------------------------------------------- output
def cells(m: dict) -> list[str]:
    return [f"{m['r_precision']:.3f} {m['grade2_in_top_r']:>3}/{m['r']:<3}",
            f"{m['ndcg10']:.3f} {m['top10_grade2']:>2}×2 {m['top10_grade1']:>2}×1",
            f"{m['p10']:.2f} {m['top10_relevant']:>2}/{m['top10']:<2}"]


def print_variant(res: dict) -> None:
    print(f"\n## {res['name']}: {res['summary']}")
    if res.get("how"):
        print(f"   {res['how']}")
    head = ["R-prec (g2 in top R)", "nDCG@10 (g2, g1 in top 10)", "P@10 (g>=1 in top 10)"]
    widths = [max(len(h), 18) for h in head]
    print(f"{'':<12}{'pool':>5}  " + "  ".join(f"{h:<{w}}" for h, w in zip(head, widths, strict=True)))

    def line(label: str, pair: dict) -> None:
        for who in ("digest", "naive"):
            m = pair[who]
            tag = f"{label} {who}" if who == "digest" else f"{'':<{len(label)}} naive"
            print(f"{tag:<12}{m['pool']:>5}  " + "  ".join(f"{c:<{w}}" for c, w in zip(cells(m), widths, strict=True)))

    for pid, pair in res["profiles"].items():
        line(pid, pair)
    for label, pair in res["means"].items():
        print(f"mean {label} (counts summed over its profiles)")
        line(" " * 2, pair)
    d, n = res["means"]["R1–R7"]["digest"], res["means"]["R1–R7"]["naive"]
    print(f"digest − naive, mean R-precision R1–R7: {d['r_precision'] - n['r_precision']:+.3f} "
          f"({d['grade2_in_top_r']} vs {n['grade2_in_top_r']} of {d['r']} grade-2 papers in the top R)")


def moved(res: dict, base: dict | None) -> str:
    """Grade-2 papers this variant puts into the top R that its baseline does not, and out of it,
    with a one-sided sign test (how likely that many gains of all moves by chance)."""
    if base is None or base is res:
        return ""
    into = out = 0
    for pid, pair in res["profiles"].items():
        mine, theirs = set(pair["digest"]["top_r_grade2"]), set(base["profiles"][pid]["digest"]["top_r_grade2"])
        into += len(mine - theirs)
        out += len(theirs - mine)
    n = into + out
    p = sum(math.comb(n, k) for k in range(into, n + 1)) / 2**n if n else 1.0
    return f"+{into} / −{out} (p = {p:.2f})"


def print_summary(results: list[dict], markdown: bool = False) -> None:
    """One line per variant: mean figures over R1-R7 (with the papers they rest on), R1-R4, R5-R7."""
    head = ["variant", "R-prec R1–R7 (g2 in top R)", "R1–R4", "R5–R7", "nDCG@10", "P@10", "naive R-prec", "Δ",
            "g2 into / out of top R vs baseline"]
    rows = []
    by_name = {r["name"]: r for r in results}
    for res in results:
        m = res["means"]
        d, n = m["R1–R7"]["digest"], m["R1–R7"]["naive"]
        rows.append([res["name"], f"{d['r_precision']:.3f} ({d['grade2_in_top_r']}/{d['r']})",
                     f"{m['R1–R4']['digest']['r_precision']:.3f}", f"{m['R5–R7']['digest']['r_precision']:.3f}",
                     f"{d['ndcg10']:.3f}", f"{d['p10']:.2f}",
                     f"{n['r_precision']:.3f} ({n['grade2_in_top_r']}/{n['r']})",
                     f"{d['r_precision'] - n['r_precision']:+.3f}", moved(res, by_name.get(res["baseline"]))])
    print_grid(head, rows, markdown)


# --------------------------------------------------------------------------- rewrites (--rewrite)
# The same readers writing their keywords another way: one mechanical rule applied to every term of
# every profile (nothing chosen by hand), to see whether the matching rules hold (RESULTS.md, "Robustness").
def _plural(term: str) -> str:
    *head, last = term.split(" ")
    if last.isupper() or last.endswith("s"):
        return term
    if re.search(r"[^aeiou]y$", last):
        last = last[:-1] + "ies"
    elif last.endswith(("sh", "ch", "x")):
        last += "es"
    else:
        last += "s"
    return " ".join([*head, last])


_BRITISH_SPELLING = (("ization", "isation"), ("izing", "ising"), ("ize", "ise"), ("yze", "yse"),
                     ("behavior", "behaviour"), ("modeling", "modelling"), ("color", "colour"), ("center", "centre"))
_ABBREVIATED = {"reinforcement learning": "RL", "generative adversarial": "GAN", "electronic health record": "EHR",
                "human feedback": "RLHF", "large language model": "LLM", "in-context learning": "ICL"}


def _british(term: str) -> str:
    for us, uk in _BRITISH_SPELLING:
        term = term.replace(us, uk)
    return term


REWRITES: dict[str, Callable[[str], str]] = {
    "plural": _plural,  # the last word in the plural
    "caps": lambda t: " ".join(w if w.isupper() else w[:1].upper() + w[1:] for w in t.split(" ")),  # Title Case
    "unhyphen": lambda t: t.replace("-", " "),  # hyphens as spaces
    "joined": lambda t: t.replace("-", "") if t.count("-") == 1 else t,  # a single hyphen joined
    "british": _british,  # British spelling
    "abbreviated": lambda t: _ABBREVIATED.get(t, t),  # six phrases as their abbreviations
    "prefix": lambda t: t if t.endswith("*") or t.split(" ")[-1].isupper() else t + "*",  # every term a prefix
}


def rewrite(profiles: list[Profile], name: str) -> None:
    """Every term of every profile rewritten by ``REWRITES[name]`` (the first of two that meet wins)."""
    f = REWRITES[name]
    for prof in profiles:
        terms: dict[str, float] = {}
        for k, v in prof.terms.items():
            terms.setdefault(f(k), v)
        prof.terms = terms
        prof.negative = {f(k): v for k, v in prof.negative.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_shared = Path(os.environ.get("DIGEST_SHARED_DIR", REPO.parent / "shared"))
    ap.add_argument("--shared", type=Path, default=default_shared,
                    help=f"the shared folder with dumps/ and judged/ (default: {default_shared})")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--markdown", action="store_true", help="print only the summary table, as Markdown")
    ap.add_argument("--variant", action="append", choices=[v.name for v in VARIANTS],
                    help="run only this variant (repeatable; default: all)")
    ap.add_argument("--rewrite", choices=sorted(REWRITES),
                    help="rewrite every profile's terms first (the same readers writing their keywords another way)")
    args = ap.parse_args(argv)
    if not (args.shared / "judged" / "profiles.json").is_file() or not (args.shared / "dumps").is_dir():
        print(f"ranking benchmark skipped: {args.shared} has no judged/ and dumps/ (use --shared DIR)",
              file=sys.stderr)
        return 0
    chosen = [v for v in VARIANTS if not args.variant or v.name in args.variant]
    try:
        with tempfile.TemporaryDirectory(prefix="digest-ranking-") as tmp:
            t = Path(tmp)
            store, papers, profiles = build(args.shared, t)
            if args.rewrite:
                rewrite(profiles, args.rewrite)
            results = [run_variant(v, store, papers, profiles, t) for v in chosen]
    except BenchError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        json.dump({"shared": str(args.shared), "papers": len(papers), "tie_break": TIE_BREAK,
                   "variants": results}, sys.stdout, indent=1, ensure_ascii=False)
        print()
        return 0
    if args.markdown:
        print_summary(results, markdown=True)
        return 0
    print(f"# ranking on {args.shared / 'judged'}: {len(papers)} distinct papers, {len(profiles)} profiles; "
          f"digest = {' '.join(digest_cmd())}")
    print(f"# {TIE_BREAK}; naive = sum of the weights of terms found as case-insensitive substrings "
          f"of title + abstract")
    for res in results:
        print_variant(res)
    print()
    print_summary(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
