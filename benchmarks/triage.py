"""Learning from triage, measured on the development set in ../shared/judged (issue 12 §4).

    python benchmarks/triage.py                  # the simulated triage and the 5-tagged variant
    python benchmarks/triage.py --json           # machine-readable
    python benchmarks/triage.py --shared DIR     # the shared folder (default: ../shared beside the repo)

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

After each day the whole store is ranked (``digest show --all``) twice, with the learned
weights and keyword-only (``[learning] enabled = false``), over the same pool: every judged
paper not shown in triage yet (a paper the reader has already voted on says nothing about
ranking). Figures as benchmarks/ranking.py: R-precision over grade-2 papers, nDCG@10
(gain = grade), P@10 (grade >= 1), with the papers each rests on.

Variant ``tagged5``: no triage; the first five grade-2 papers of each profile in dump order
are tagged ``toread`` (five votes for), those five left out of the pool; learned vs
keyword-only vs ``[similarity]``.

Noise: for the learned - keyword-only difference of mean R-precision the script prints the
paired per-profile differences, how many grade-2 papers the gain rests on, and a sign count;
with 7 profiles and 8-15 grade-2 papers each, a difference of one or two papers per profile
is within noise.

This is a development set: it confirms rules, it must never tune them.
"""

from __future__ import annotations

import argparse
import json
import os
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


# --------------------------------------------------------------------------- the world
@dataclass
class Profile:
    pid: str
    interests: dict[str, float]
    grades: dict[str, int] = field(default_factory=dict)  # paper id -> grade


def toml_config(interests: dict[str, float], extra: str = "") -> str:
    lines = ["[interests]"] + [f"{json.dumps(k, ensure_ascii=False)} = {float(v)!r}" for k, v in interests.items()]
    return "\n".join(lines) + "\n" + extra


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
        self.learned_cfg.write_text(toml_config(profile.interests), encoding="utf-8")
        self.keyword_cfg.write_text(toml_config(profile.interests, "[learning]\nenabled = false\n"),
                                    encoding="utf-8")

    def ctx(self, cfg: Path):
        return self.app.Context(config_path=cfg, store_path=self.store_dir)

    def ingest(self, dump: Path) -> None:
        from datetime import date

        results, _ = self.app.ingest(self.ctx(self.keyword_cfg), [str(dump)], ref_date=date(2024, 6, 1))
        if results[0].error:
            raise BenchError(results[0].error)

    def ingest_report(self, dump: Path) -> list:
        """Ingest a page; the new papers (as ``digest show`` right after shows them)."""
        self.ingest(dump)
        return self.app.show(self.ctx(self.keyword_cfg), limit=BIG, min_score=-1e12, unmatched=True).entries

    def ranking(self, cfg: Path) -> list[str]:
        report = self.app.show(self.ctx(cfg), mode="all", limit=BIG, min_score=-1e12, unmatched=True)
        return [s.record["id"] for s in report.entries]

    def triage(self, mode: str) -> list[str]:
        """The reader triages the top TOP of ``mode`` as digest ranks them now; the ids shown."""
        from digest.readinglist import decide_action, record

        s = self.app.triage(self.ctx(self.learned_cfg), mode=mode, limit=TOP if mode != "new" else None)
        shown = [e.record["id"] for e in s.entries[:TOP]]
        for item_id in shown:
            action = decide_action(s.rl, item_id, DECISION[self.profile.grades[item_id]], keep_tag=s.keep_tag)
            record(s.store, action.events, s.rl)
        return shown

    def tag(self, ids: list[str]) -> None:
        self.app.tag(self.ctx(self.keyword_cfg), ids, ["toread"])


def ordered(ranking: list[str], pool: set[str]) -> list[str]:
    """The pool in the order digest ranked it (digest already breaks ties: score, date, title)."""
    return [i for i in ranking if i in pool]


def setup(shared: Path, tmp: Path):
    dumps, raw_profiles, judgments = load_shared(shared)
    profiles = [Profile(pid, {**{k: float(v) for k, v in p["terms"].items()},
                              **{k: float(v) for k, v in p.get("negative", {}).items()}})
                for pid, p in raw_profiles.items()]
    return dumps, profiles, judgments


def attach_grades(reader: Reader, profiles: list[Profile], judgments: list[dict]) -> dict[str, int]:
    """Map judged titles to stored ids (by normalised title), fill every profile's grades; the
    position of each paper in dump order."""
    report = reader.app.show(reader.ctx(reader.keyword_cfg), mode="all", limit=BIG, min_score=-1e12, unmatched=True)
    by_key = {title_key(s.record["title"]): s.record["id"] for s in report.entries}
    missing = [j["title"] for j in judgments if title_key(j["title"]) not in by_key]
    if missing:
        raise BenchError(f"{len(missing)} judged papers not in the store, e.g. {missing[0]!r}")
    for prof in profiles:
        prof.grades = {by_key[title_key(j["title"])]: int(j[prof.pid]) for j in judgments}
    return {by_key[title_key(j["title"])]: k for k, j in enumerate(judgments)}


def simulate(shared: Path, tmp: Path) -> dict:
    """Per profile: a reader whose store grows page by page (it triages) and a store holding every
    page from the start, given the reader's events after each day (it is ranked for the figures:
    ids are title hashes, the same in both)."""
    import shutil

    dumps, profiles, judgments = setup(shared, tmp)
    out: dict = {"days": [], "profiles": {}}
    per_day: dict[int, dict[str, dict]] = {}
    for prof in profiles:
        full = Reader(tmp / "sim" / prof.pid / "full", prof)
        for dump in dumps:
            full.ingest(dump)
        attach_grades(full, [prof], judgments)
        daily = Reader(tmp / "sim" / prof.pid / "daily", prof)
        seen: set[str] = set()
        rows = []
        for day in range(1, len(dumps) + BACKLOG_DAYS + 1):
            if day <= len(dumps):
                before = {s.record["id"] for s in daily.ingest_report(dumps[day - 1])}
            else:
                before = set(prof.grades) - seen
            # today's list: the papers about to be triaged, ranked with what was learned so far
            today = {"learned": metrics(ordered(daily.ranking(daily.learned_cfg), before), prof.grades),
                     "keywords": metrics(ordered(daily.ranking(daily.keyword_cfg), before), prof.grades)}
            shown = daily.triage("new" if day <= len(dumps) else "untriaged")
            seen.update(shown)
            shutil.copy(daily.store_dir / "events.jsonl", full.store_dir / "events.jsonl")
            pool = set(prof.grades) - seen
            row = {"day": day, "shown": len(shown),
                   "kept": sum(1 for i in shown if prof.grades[i] == 2),
                   "rejected": sum(1 for i in shown if prof.grades[i] == 0),
                   "today": today,
                   "learned": metrics(ordered(full.ranking(full.learned_cfg), pool), prof.grades),
                   "keywords": metrics(ordered(full.ranking(full.keyword_cfg), pool), prof.grades)}
            rows.append(row)
            per_day.setdefault(day, {})[prof.pid] = row
        out["profiles"][prof.pid] = rows
    for day, by_prof in sorted(per_day.items()):
        entry: dict = {"day": day}
        for label, members in GROUPS:
            chosen = [r for pid, r in by_prof.items() if members is None or pid in members]
            entry[label] = {who: mean_of([r[who] for r in chosen]) for who in ("learned", "keywords")}
            entry[label]["today"] = {who: mean_of([r["today"][who] for r in chosen])
                                     for who in ("learned", "keywords")}
        entry["paired_today"] = {pid: r["today"]["learned"]["grade2_in_top_r"]
                                 - r["today"]["keywords"]["grade2_in_top_r"] for pid, r in by_prof.items()}
        entry["paired"] = {pid: r["learned"]["grade2_in_top_r"] - r["keywords"]["grade2_in_top_r"]
                           for pid, r in by_prof.items()}
        out["days"].append(entry)
    return out


def tagged5(shared: Path, tmp: Path) -> dict:
    dumps, profiles, judgments = setup(shared, tmp)
    out: dict = {"profiles": {}}
    rows_by = {}
    for prof in profiles:
        reader = Reader(tmp / "tag5" / prof.pid, prof)
        for dump in dumps:
            reader.ingest(dump)
        position = attach_grades(reader, [prof], judgments)
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
    return out


# --------------------------------------------------------------------------- output
def cell(m: dict) -> str:
    return (f"R-prec {m['r_precision']:.3f} ({m['grade2_in_top_r']}/{m['r']})  nDCG@10 {m['ndcg10']:.3f}  "
            f"P@10 {m['p10']:.2f} ({m['top10_relevant']}/{10 * (m['pool'] and 1)})")


def _pair_lines(day, label, lr: dict, kw: dict) -> list[str]:
    return [f"day {day} {label:<6} learned : R-prec {lr['r_precision']:.3f} ({lr['grade2_in_top_r']:>3}/{lr['r']:<3})"
            f"  nDCG@10 {lr['ndcg10']:.3f}  P@10 {lr['p10']:.3f}",
            f"      {'':<6} keywords: R-prec {kw['r_precision']:.3f} ({kw['grade2_in_top_r']:>3}/{kw['r']:<3})"
            f"  nDCG@10 {kw['ndcg10']:.3f}  P@10 {kw['p10']:.3f}"
            f"   Δ R-prec {lr['r_precision'] - kw['r_precision']:+.3f}"]


def _paired(paired: dict) -> str:
    ups = sum(1 for v in paired.values() if v > 0)
    downs = sum(1 for v in paired.values() if v < 0)
    return ("      grade-2 in top R, learned - keywords: " + " ".join(f"{k} {v:+d}" for k, v in paired.items())
            + f"  (sum {sum(paired.values()):+d}; {ups} up, {downs} down)")


def print_simulation(res: dict) -> None:
    print(f"\n## simulated triage: top {TOP} of each day's new papers (days 1-3), then of the backlog (days 4-5)")
    print("\n### today's list: the papers about to be triaged (days 1-3: the new page; 4-5: the backlog),")
    print("    ranked before that day's votes, with what was learned on the days before")
    for entry in res["days"]:
        for label, _ in GROUPS:
            t = entry[label]["today"]
            print("\n".join(_pair_lines(entry["day"], label, t["learned"], t["keywords"])))
        print(_paired(entry["paired_today"]))
    print("\n### after the day: every judged paper not shown in triage yet, ranked with that day's votes too")
    for entry in res["days"]:
        for label, _ in GROUPS:
            pair = entry[label]
            print("\n".join(_pair_lines(entry["day"], label, pair["learned"], pair["keywords"])))
        print(_paired(entry["paired"]))
    print("\nvotes per profile and day (kept / not interested, of the papers shown):")
    for pid, rows in res["profiles"].items():
        print(f"  {pid}: " + "  ".join(f"d{r['day']} {r['kept']}/{r['rejected']}" for r in rows))


def print_tagged(res: dict) -> None:
    print("\n## tagged5: the first 5 grade-2 papers per profile tagged toread (no triage), held out of the pool")
    for label, _ in GROUPS:
        for who in ("learned", "keywords", "similarity"):
            m = res[label][who]
            print(f"{label:<6} {who:<10} R-prec {m['r_precision']:.3f} ({m['grade2_in_top_r']:>3}/{m['r']:<3})"
                  f"  nDCG@10 {m['ndcg10']:.3f}  P@10 {m['p10']:.3f}")
    print("  per profile, grade-2 in top R (learned / keywords / similarity): "
          + "  ".join(f"{pid} {r['learned']['grade2_in_top_r']}/{r['keywords']['grade2_in_top_r']}/"
                      f"{r['similarity']['grade2_in_top_r']}" for pid, r in res["profiles"].items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_shared = Path(os.environ.get("DIGEST_SHARED_DIR", REPO.parent / "shared"))
    ap.add_argument("--shared", type=Path, default=default_shared)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--variant", choices=("simulate", "tagged5"), action="append")
    args = ap.parse_args(argv)
    if not (args.shared / "judged" / "profiles.json").is_file():
        print(f"triage benchmark skipped: {args.shared} has no judged/ (use --shared DIR)", file=sys.stderr)
        return 0
    chosen = args.variant or ["simulate", "tagged5"]
    results = {}
    with tempfile.TemporaryDirectory(prefix="digest-triage-bench-") as tmp:
        os.environ["DIGEST_WORKERS"] = "1"
        try:
            if "simulate" in chosen:
                results["simulate"] = simulate(args.shared, Path(tmp))
            if "tagged5" in chosen:
                results["tagged5"] = tagged5(args.shared, Path(tmp))
        except BenchError as exc:
            print(f"Error: {exc}", file=sys.stderr)
            return 1
    if args.json:
        json.dump(results, sys.stdout, indent=1, ensure_ascii=False)
        print()
        return 0
    if "simulate" in results:
        print_simulation(results["simulate"])
    if "tagged5" in results:
        print_tagged(results["tagged5"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
