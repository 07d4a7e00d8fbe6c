"""Learning from triage, measured on the development set in ../shared/judged (issue 12 §4).

    python benchmarks/triage.py                  # every design below, with the noise figures
    python benchmarks/triage.py --json           # machine-readable
    python benchmarks/triage.py --shared DIR     # the shared folder (default: ../shared beside the repo)
    python benchmarks/triage.py --explain R6     # what was learned, day by day, for some profiles
    python benchmarks/triage.py --null 10        # also 10 runs of a reader who votes at random

A simulated reader per profile of ``shared/judged/profiles.json``, whose config is the
profile's ``terms`` and ``negative`` terms as ``[interests]`` (nothing else: the learned
weights are on by default), triages with digest's own functions:

- days 1-3: the three saved Daily Papers pages are ingested in order (000, 002, 004), one
  ingest each; on day d the reader triages the top 20 of that day's new papers as digest
  ranks them that day (with what it learned so far), papers triaged before left out;
- days 4-5: the top 20 of ``digest triage --untriaged`` (every stored paper not yet kept or
  rejected), as a reader catching up on the backlog would;
- the judgments are the reader's taste: grade 2 -> ``y`` (keep: a vote for, and the toread
  tag), grade 0 -> ``n`` (a vote against), grade 1 -> ``s`` (decide later: no vote).

Two designs, both with the same paired comparison (learned = the defaults, keyword-only =
``[learning] enabled = false``, ranked over the same pool, the same day):

``residual`` (the design of the issue): after each day the whole store is ranked and scored
over every judged paper not shown in triage yet (a paper the reader has voted on says nothing
about ranking; the residual-collection method), and "today's list" is the papers about to be
triaged that day, ranked before that day's votes. The pools shrink to what triage did not
reach: after day 3 a dozen grade-2 papers are left in all seven pools together.

``split`` (held-out halves): the judged papers are split in two halves by their title (the
parity of a hash of the normalised title, fixed before any figure was seen). In fold A the
reader sees only the half-A papers of each day (the top 20 of those) and the half-B papers are
never shown nor voted on: they are the evaluation pool, ranked after each day (they are in the
store, so the learner sees their words as unvoted papers, never their grades); fold B the other
way round. Every judged paper is scored once per day, over a pool that does not shrink, so each
day's figure rests on all the grade-2 papers, and days are comparable.

Figures as benchmarks/ranking.py: R-precision over grade-2 papers, nDCG@10 (gain = grade), P@10
(grade >= 1), with the papers each rests on. A mean R-precision is over the profiles (and folds)
whose pool has a grade-2 paper ("defined"); a pool without one scores 0 for both sides and says
nothing.

Noise: the paired differences per profile (and fold), the sum of grade-2 papers won or lost in
the top R (what the gain rests on), and the exact sign-flip test: the share of the 2^k ways of
flipping the signs of the k paired R-precision differences whose mean is at least as large as
the one seen (one-sided). ``--null N`` adds a reader whose keep/reject decisions are shuffled
among the papers shown each day: the learned model then learns noise, and the spread of its
differences to keyword-only is what chance alone does.

Variant ``tagged5``: no triage; the first five grade-2 papers of each profile in dump order
are tagged ``toread`` (five votes for), those five left out of the pool; learned vs
keyword-only vs ``[similarity]``.

This is a development set: it confirms rules, it must never tune them.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:  # (run as a script, benchmarks/ is on the path already)
    sys.path.insert(0, str(HERE))

# the development set's metrics and loading, as benchmarks/ranking.py defines them (one definition)
from ranking import BenchError, load_shared, mean_of, metrics, title_key  # noqa: E402

GROUPS = (("R1–R7", None), ("R1–R4", ("R1", "R2", "R3", "R4")), ("R5–R7", ("R5", "R6", "R7")))
TOP = 20  # papers triaged per day
BACKLOG_DAYS = 2  # days 4 and 5: the top of `digest triage --untriaged`
BIG = 1_000_000
DECISION = {2: "keep", 0: "reject", 1: "later"}
SIDES = ("learned", "keywords")


# --------------------------------------------------------------------------- the world
@dataclass
class Profile:
    pid: str
    interests: dict[str, float]
    grades: dict[str, int] = field(default_factory=dict)  # paper id -> grade


LEARNED_EXTRA = ""  # --learned-extra: more config for the learned side only (e.g. a [semantic] table)


def toml_config(interests: dict[str, float], extra: str = "") -> str:
    lines = ["[interests]"] + [f"{json.dumps(k, ensure_ascii=False)} = {float(v)!r}" for k, v in interests.items()]
    return "\n".join(lines) + "\n" + extra


def half_of(title: str) -> str:
    """The half a judged paper belongs to in the split design: by its normalised title only."""
    return "AB"[hashlib.sha1(title_key(title).encode("utf-8")).digest()[0] & 1]


class Reader:
    """One profile's store and configs, and digest's functions on them (in this process)."""

    def __init__(self, root: Path, profile: Profile) -> None:
        from digest import app

        self.app = app
        self.profile = profile
        root.mkdir(parents=True, exist_ok=True)
        self.store_dir = root / "store"
        self.learned_cfg = root / "learned.toml"
        self.keyword_cfg = root / "keywords.toml"
        self.learned_cfg.write_text(toml_config(profile.interests, LEARNED_EXTRA), encoding="utf-8")
        self.keyword_cfg.write_text(toml_config(profile.interests, "[learning]\nenabled = false\n"),
                                    encoding="utf-8")

    def ctx(self, cfg: Path):
        return self.app.Context(config_path=cfg, store_path=self.store_dir)

    def config(self, side: str) -> Path:
        return self.learned_cfg if side == "learned" else self.keyword_cfg

    def ingest(self, dump: Path) -> None:
        from datetime import date

        results, _ = self.app.ingest(self.ctx(self.keyword_cfg), [str(dump)], ref_date=date(2024, 6, 1))
        if results[0].error:
            raise BenchError(results[0].error)

    def ingest_report(self, dump: Path) -> list:
        """Ingest a page; the new papers (as ``digest show`` right after shows them)."""
        self.ingest(dump)
        return self.app.show(self.ctx(self.keyword_cfg), limit=BIG, min_score=-1e12, unmatched=True).entries

    def ranked(self, cfg: Path) -> list:
        return self.app.show(self.ctx(cfg), mode="all", limit=BIG, min_score=-1e12, unmatched=True).entries

    def ranking(self, cfg: Path) -> list[str]:
        return [s.record["id"] for s in self.ranked(cfg)]

    def triage(self, mode: str, visible: set[str] | None = None, decide=None) -> list[str]:
        """The reader triages the top TOP of ``mode`` (of the ``visible`` papers) as digest ranks
        them now; ``decide`` maps the ids shown to decisions (default: by grade). The ids shown."""
        from digest.readinglist import decide_action, record

        limit = None if mode == "new" else (BIG if visible is not None else TOP)
        s = self.app.triage(self.ctx(self.learned_cfg), mode=mode, limit=limit)
        shown = [e.record["id"] for e in s.entries if visible is None or e.record["id"] in visible][:TOP]
        decisions = decide(shown) if decide else {i: DECISION[self.profile.grades[i]] for i in shown}
        for item_id in shown:
            action = decide_action(s.rl, item_id, decisions[item_id], keep_tag=s.keep_tag)
            record(s.store, action.events, s.rl)
        return shown

    def tag(self, ids: list[str]) -> None:
        self.app.tag(self.ctx(self.keyword_cfg), ids, ["toread"])


def ordered(ranking: list[str], pool: set[str]) -> list[str]:
    """The pool in the order digest ranked it (digest already breaks ties: score, date, title)."""
    return [i for i in ranking if i in pool]


def setup(shared: Path):
    dumps, raw_profiles, judgments = load_shared(shared)
    profiles = [Profile(pid, {**{k: float(v) for k, v in p["terms"].items()},
                              **{k: float(v) for k, v in p.get("negative", {}).items()}})
                for pid, p in raw_profiles.items()]
    return dumps, profiles, judgments


def attach_grades(reader: Reader, profiles: list[Profile], judgments: list[dict]) -> tuple[dict, dict]:
    """Map judged titles to stored ids (by normalised title), fill every profile's grades; the
    position of each paper in dump order, and its half."""
    report = reader.app.show(reader.ctx(reader.keyword_cfg), mode="all", limit=BIG, min_score=-1e12, unmatched=True)
    by_key = {title_key(s.record["title"]): s.record["id"] for s in report.entries}
    missing = [j["title"] for j in judgments if title_key(j["title"]) not in by_key]
    if missing:
        raise BenchError(f"{len(missing)} judged papers not in the store, e.g. {missing[0]!r}")
    for prof in profiles:
        prof.grades = {by_key[title_key(j["title"])]: int(j[prof.pid]) for j in judgments}
    position = {by_key[title_key(j["title"])]: k for k, j in enumerate(judgments)}
    halves = {by_key[title_key(j["title"])]: half_of(j["title"]) for j in judgments}
    return position, halves


def shuffled(prof: Profile, rng: random.Random):
    """A reader who votes at random: the day's keep and reject decisions shuffled among the papers
    shown (as many of each as the real reader would have made). The grades are read when the
    reader decides (run_profile fills them in after ingesting)."""

    def decide(shown: list[str]) -> dict[str, str]:
        real = [DECISION[prof.grades[i]] for i in shown]
        rng.shuffle(real)
        return dict(zip(shown, real, strict=True))

    return decide


# --------------------------------------------------------------------------- one reader, five days
def run_profile(prof: Profile, dumps: list[Path], judgments: list[dict], tmp: Path, *, fold: str | None,
                decide=None, explain: bool = False) -> list[dict]:
    """Five days of one profile's triage (``fold``: None for the residual design, "A" or "B" for
    the split design: the reader sees that half, the other is the evaluation pool); a row a day."""
    full = Reader(tmp / "full", prof)
    for dump in dumps:
        full.ingest(dump)
    _, halves = attach_grades(full, [prof], judgments)
    visible = None if fold is None else {i for i, h in halves.items() if h == fold}
    held_out = set() if fold is None else set(prof.grades) - visible  # type: ignore[operator]
    daily = Reader(tmp / "daily", prof)
    seen: set[str] = set()
    rows = []
    for day in range(1, len(dumps) + BACKLOG_DAYS + 1):
        if day <= len(dumps):
            new = {s.record["id"] for s in daily.ingest_report(dumps[day - 1])}
        else:
            new = set(prof.grades) - seen
        before = new if visible is None else new & visible
        # today's list: the papers about to be triaged, ranked with what was learned so far
        today = {side: metrics(ordered(daily.ranking(daily.config(side)), before), prof.grades) for side in SIDES}
        shown = daily.triage("new" if day <= len(dumps) else "untriaged", visible, decide)
        seen.update(shown)
        shutil.copy(daily.store_dir / "events.jsonl", full.store_dir / "events.jsonl")
        pool = set(prof.grades) - seen if fold is None else held_out
        ranked = {side: full.ranked(full.config(side)) for side in SIDES}
        row = {"day": day, "shown": len(shown),
               "kept": sum(1 for i in shown if prof.grades[i] == 2),
               "rejected": sum(1 for i in shown if prof.grades[i] == 0),
               "today": today,
               **{side: metrics(ordered([s.record["id"] for s in ranked[side]], pool), prof.grades)
                  for side in SIDES}}
        if explain:
            row["explain"] = explain_day(full, prof, ranked, pool)
        rows.append(row)
    return rows


def explain_day(reader: Reader, prof: Profile, ranked: dict[str, list], pool: set[str]) -> dict:
    """What was learned, and what it did at the R-precision cut-off of the evaluation pool."""
    from digest.ranking.rank import scorer_for
    from digest.readinglist import ranking_inputs

    ctx = reader.ctx(reader.learned_cfg)
    store = ctx.store()
    tags, feedback = ranking_inputs(store, ctx.config)
    votes = feedback.votes
    model = scorer_for(ctx.config, store, tags, feedback).learned  # the model the ranking used (cached)
    kw = {s.record["id"]: s.score for s in ranked["keywords"]}
    lr = {s.record["id"]: s for s in ranked["learned"]}
    learned_part = {i: sum(m.weight for m in s.matches if m.field == "votes") for i, s in lr.items()}
    order = [i for i in (s.record["id"] for s in ranked["keywords"]) if i in pool]
    r = sum(1 for i in order if prof.grades[i] == 2)
    cut = kw[order[r - 1]] if r else None
    near = []
    for k, i in enumerate(order):
        g = prof.grades[i]
        if (g == 2 and k >= r) or (g != 2 and k < r):
            s = lr[i]
            detail = next((m.detail for m in s.matches if m.field == "votes"), "")
            near.append({"grade": g, "keyword_rank": k + 1, "keyword": kw[i], "learned": round(learned_part[i], 2),
                         "needs": round((cut or 0) - kw[i], 2), "title": s.record["title"][:70], "detail": detail})
    parts = [abs(learned_part[i]) for i in pool]
    kws = [kw[i] for i in pool]
    mean = sum(kws) / len(kws) if kws else 0.0
    sd = (sum((x - mean) ** 2 for x in kws) / len(kws)) ** 0.5 if kws else 0.0
    return {"votes": len(votes), "terms": [[t.term, t.weight, t.pos, t.neg] for t in (model.terms if model else [])],
            "cutoff": cut, "r": r, "misplaced": near,
            "mean_abs_learned": round(sum(parts) / len(parts), 3) if parts else 0.0, "keyword_sd": round(sd, 3)}


# --------------------------------------------------------------------------- the designs
def simulate(shared: Path, tmp: Path, *, design: str = "residual", null_seed: int | None = None,
             explain: set[str] = frozenset()) -> dict:  # type: ignore[assignment]
    """Every profile through five days in ``design`` ("residual" or "split": both folds); with
    ``null_seed``, the shuffled reader. Per day: the figures of each side per unit (profile, or
    profile and fold), the means and the paired differences."""
    dumps, profiles, judgments = setup(shared)
    folds = (None,) if design == "residual" else ("A", "B")
    units: dict[str, list[dict]] = {}
    rng = random.Random(null_seed) if null_seed is not None else None
    for prof in profiles:
        for fold in folds:
            unit = prof.pid if fold is None else f"{prof.pid}{fold}"
            where = tmp / design / str(null_seed) / unit
            decide = shuffled(prof, rng) if rng is not None else None
            units[unit] = run_profile(prof, dumps, judgments, where, fold=fold, decide=decide,
                                      explain=prof.pid in explain)
    days = []
    for d in range(len(dumps) + BACKLOG_DAYS):
        entry: dict = {"day": d + 1}
        for view in ("today", "after"):
            rows = {u: (r[d]["today"] if view == "today" else r[d]) for u, r in units.items()}
            block: dict = {}
            for label, members in GROUPS:
                chosen = [r for u, r in rows.items() if members is None or u.rstrip("AB") in members]
                block[label] = {side: summary([r[side] for r in chosen]) for side in SIDES}
            block["paired"] = {u: r["learned"]["grade2_in_top_r"] - r["keywords"]["grade2_in_top_r"]
                               for u, r in rows.items()}
            block["test"] = sign_flip([r["learned"]["r_precision"] - r["keywords"]["r_precision"]
                                       for r in rows.values() if r["keywords"]["r"]])
            entry[view] = block
        days.append(entry)
    return {"design": design, "null_seed": null_seed, "days": days, "units": units}


def summary(rows: list[dict]) -> dict:
    """mean_of, and the mean R-precision over the pools that have a grade-2 paper."""
    out = mean_of(rows)
    defined = [r["r_precision"] for r in rows if r["r"]]
    out["r_precision_defined"] = sum(defined) / len(defined) if defined else 0.0
    out["units_defined"] = len(defined)
    return out


def sign_flip(diffs: list[float]) -> dict:
    """The exact one-sided sign-flip test of a mean paired difference (zeros count as flips of 0)."""
    k = len(diffs)
    mean = sum(diffs) / k if k else 0.0
    if not k or not any(diffs):
        return {"k": k, "mean": mean, "p": 1.0}
    if k > 20:  # (more than a million sign patterns: not needed here)
        raise BenchError("sign-flip test over more than 20 units")
    hits = sum(1 for signs in itertools.product((1, -1), repeat=k)
               if sum(s * d for s, d in zip(signs, diffs, strict=True)) >= sum(diffs) - 1e-12)
    return {"k": k, "mean": mean, "p": hits / 2 ** k}


def tagged5(shared: Path, tmp: Path) -> dict:
    dumps, profiles, judgments = setup(shared)
    out: dict = {"profiles": {}}
    rows_by = {}
    for prof in profiles:
        reader = Reader(tmp / "tag5" / prof.pid, prof)
        for dump in dumps:
            reader.ingest(dump)
        position, _ = attach_grades(reader, [prof], judgments)
        chosen = sorted((i for i, g in prof.grades.items() if g == 2), key=lambda i: position[i])[:5]
        reader.tag(chosen)
        sim_cfg = reader.store_dir.parent / "similarity.toml"
        similarity = '[learning]\nenabled = false\n[similarity]\ntags = ["toread"]\n'
        sim_cfg.write_text(toml_config(prof.interests, similarity), encoding="utf-8")
        pool = set(prof.grades) - set(chosen)
        row = {who: metrics(ordered(reader.ranking(cfg), pool), prof.grades)
               for who, cfg in (("learned", reader.learned_cfg), ("keywords", reader.keyword_cfg),
                                ("similarity", sim_cfg))}
        rows_by[prof.pid] = row
    out["profiles"] = rows_by
    for label, members in GROUPS:
        chosen_rows = [r for pid, r in rows_by.items() if members is None or pid in members]
        out[label] = {who: mean_of([r[who] for r in chosen_rows]) for who in ("learned", "keywords", "similarity")}
    out["test"] = sign_flip([r["learned"]["r_precision"] - r["keywords"]["r_precision"] for r in rows_by.values()])
    return out


# --------------------------------------------------------------------------- output
def _pair_lines(day, label, lr: dict, kw: dict) -> list[str]:
    return [f"day {day} {label:<6} learned : R-prec {lr['r_precision_defined']:.3f} "
            f"({lr['grade2_in_top_r']:>3}/{lr['r']:<3})  nDCG@10 {lr['ndcg10']:.3f}  P@10 {lr['p10']:.3f}",
            f"      {'':<6} keywords: R-prec {kw['r_precision_defined']:.3f} "
            f"({kw['grade2_in_top_r']:>3}/{kw['r']:<3})  nDCG@10 {kw['ndcg10']:.3f}  P@10 {kw['p10']:.3f}"
            f"   Δ R-prec {lr['r_precision_defined'] - kw['r_precision_defined']:+.3f}"
            f" (over {kw['units_defined']} pools with a grade-2 paper)"]


def _paired(block: dict) -> str:
    paired, test = block["paired"], block["test"]
    ups = sum(1 for v in paired.values() if v > 0)
    downs = sum(1 for v in paired.values() if v < 0)
    return ("      grade-2 in top R, learned - keywords: " + " ".join(f"{k} {v:+d}" for k, v in paired.items())
            + f"  (sum {sum(paired.values()):+d}; {ups} up, {downs} down; sign-flip p = {test['p']:.3f})")


def print_simulation(res: dict) -> None:
    design = res["design"]
    who = f" (reader voting at random, seed {res['null_seed']})" if res["null_seed"] is not None else ""
    print(f"\n## {design}{who}: top {TOP} of each day's new papers (days 1-3), then of the backlog (days 4-5)")
    views = (("today", "today's list: the papers about to be triaged, ranked before that day's votes"),
             ("after", "after the day: every judged paper not shown in triage yet" if design == "residual"
              else "after the day: the held-out half (never shown), ranked with that day's votes"))
    for view, title in views:
        print(f"\n### {title}")
        for entry in res["days"]:
            for label, _ in GROUPS:
                b = entry[view][label]
                print("\n".join(_pair_lines(entry["day"], label, b["learned"], b["keywords"])))
            print(_paired(entry[view]))
    print("\nvotes per unit and day (kept / not interested, of the papers shown):")
    for unit, rows in res["units"].items():
        print(f"  {unit}: " + "  ".join(f"d{r['day']} {r['kept']}/{r['rejected']}" for r in rows))
    for unit, rows in res["units"].items():
        for r in rows:
            if "explain" in r:
                print_explain(unit, r)


def print_explain(unit: str, row: dict) -> None:
    e = row["explain"]
    print(f"\n--- {unit} after day {row['day']}: {e['votes']} votes; {len(e['terms'])} learned words; "
          f"mean |learned| over the pool {e['mean_abs_learned']:.2f} vs keyword-score sd {e['keyword_sd']:.2f}; "
          f"R {e['r']}, keyword score at R {e['cutoff']}")
    print("    learned: " + ", ".join(f"{t} {w:+.2f} ({p}/{n})" for t, w, p, n in e["terms"][:25]))
    for m in e["misplaced"]:
        side = "below R, needs" if m["grade"] == 2 else "above R, over by"
        print(f"    g{m['grade']} kw-rank {m['keyword_rank']:>3} kw {m['keyword']:6.2f} {side} {abs(m['needs']):5.2f}"
              f"  learned {m['learned']:+5.2f}  {m['title']}  [{m['detail'][:60]}]")


def print_tagged(res: dict) -> None:
    print("\n## tagged5: the first 5 grade-2 papers per profile tagged toread (no triage), held out of the pool")
    for label, _ in GROUPS:
        for who in ("learned", "keywords", "similarity"):
            m = res[label][who]
            print(f"{label:<6} {who:<10} R-prec {m['r_precision']:.3f} ({m['grade2_in_top_r']:>3}/{m['r']:<3})"
                  f"  nDCG@10 {m['ndcg10']:.3f}  P@10 {m['p10']:.3f}")
    print("  per profile, grade-2 in top R (learned / keywords / similarity): "
          + "  ".join(f"{pid} {r['learned']['grade2_in_top_r']}/{r['keywords']['grade2_in_top_r']}/"
                      f"{r['similarity']['grade2_in_top_r']}" for pid, r in res["profiles"].items())
          + f"; learned vs keywords sign-flip p = {res['test']['p']:.3f}")


def print_null(nulls: list[dict]) -> None:
    print("\n## the reader voting at random: learned - keywords, grade-2 papers in the top R "
          "(summed over units), per day, lowest..highest over the runs")
    for design in sorted({n["design"] for n in nulls}):
        runs = [n for n in nulls if n["design"] == design]
        print(f"  {design}: {len(runs)} runs")
        for view in ("today", "after"):
            cells = []
            for d in range(len(runs[0]["days"])):
                sums = sorted(sum(r["days"][d][view]["paired"].values()) for r in runs)
                cells.append(f"d{d + 1} {sums[0]:+d}..{sums[-1]:+d} (median {sums[len(sums) // 2]:+d})")
            print(f"  {design:<8} {view:<5}: " + "  ".join(cells))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_shared = Path(os.environ.get("DIGEST_SHARED_DIR", REPO.parent / "shared"))
    ap.add_argument("--shared", type=Path, default=default_shared)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--variant", choices=("residual", "split", "tagged5"), action="append")
    ap.add_argument("--explain", action="append", default=[], metavar="PROFILE",
                    help="print what was learned each day for this profile (repeatable)")
    ap.add_argument("--null", type=int, default=0, metavar="N", help="N runs of a reader voting at random")
    ap.add_argument("--learned-extra", default="", metavar="TOML",
                    help="config added to the learned side only, against keyword-only (e.g. "
                         "'[semantic]\\ncompare = \"both\"\\ntags = [\"toread\"]': the kept papers as anchors too)")
    args = ap.parse_args(argv)
    global LEARNED_EXTRA
    LEARNED_EXTRA = args.learned_extra.replace("\\n", "\n")
    if not (args.shared / "judged" / "profiles.json").is_file():
        print(f"triage benchmark skipped: {args.shared} has no judged/ (use --shared DIR)", file=sys.stderr)
        return 0
    chosen = args.variant or ["residual", "split", "tagged5"]
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="digest-triage-bench-") as tmp:
        os.environ["DIGEST_WORKERS"] = "1"
        try:
            for design in ("residual", "split"):
                if design in chosen:
                    results[design] = simulate(args.shared, Path(tmp), design=design, explain=set(args.explain))
            if "tagged5" in chosen:
                results["tagged5"] = tagged5(args.shared, Path(tmp))
            nulls = [simulate(args.shared, Path(tmp), design=design, null_seed=seed)
                     for seed in range(args.null) for design in ("residual", "split") if design in chosen]
            if nulls:
                results["null"] = nulls
        except BenchError as exc:
            print(f"Error: {exc}", file=sys.stderr)
            return 1
    if args.json:
        json.dump(results, sys.stdout, indent=1, ensure_ascii=False)
        print()
        return 0
    for design in ("residual", "split"):
        if design in results:
            print_simulation(results[design])
    if "tagged5" in results:
        print_tagged(results["tagged5"])
    if "null" in results:
        print_null(results["null"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
