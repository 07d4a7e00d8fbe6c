"""Semantic ranking measured on the development set (../shared/judged): keyword-only, semantic-only
and blended, with and without 5 tagged papers per profile.

    python benchmarks/ranking_semantic.py              # prints the tables (Markdown) for RESULTS.md
    python benchmarks/ranking_semantic.py --shared DIR # another copy of shared/

The three dumps of ../shared/dumps are ingested into a temporary store with [semantic] on (so the
vector cache is built); each profile's ``terms`` and ``negative`` become ``[interests]``; every
variant ranks all 224 papers with the installed ``digest show --all --format json``. Metrics, as
../shared/judged/README.md suggests: R-precision over grade-2 papers, nDCG@10 (gain = grade, ideal
from the whole pool), P@10 (grade >= 1), means over the seven profiles. Ties are broken by order of
first appearance in the dumps (000, 002, 004, top to bottom). "5 tagged": the first 5 grade-2
papers of each profile in that order are tagged ``toread`` and left out of the pool and of R.
Semantic-only = the semantic contribution alone (its matches in the JSON). The development set is
for measuring: no default or rule is tuned to its titles.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WEIGHTS = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)


def digest_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "digest"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "digest"]


class Bench:
    def __init__(self, shared: Path, work: Path) -> None:
        self.shared = shared
        self.work = work
        self.dumps = sorted((shared / "dumps").glob("*.txt"))
        self.profiles = json.loads((shared / "judged" / "profiles.json").read_text())
        judged = [json.loads(line) for line in (shared / "judged" / "judgments.jsonl").read_text().splitlines()]
        self.env = {**os.environ, "DIGEST_HOME": str(work / "store"), "HF_HUB_OFFLINE": "1"}
        self.env.pop("DIGEST_CONFIG", None)
        for d in self.dumps:
            self.digest("ingest", "--date", "2024-12-01", str(d), config=self.config("R1", "[semantic]\n"))
        self.order: dict[str, int] = {}
        for d in self.dumps:
            for line in self.digest("parse", str(d), "--format", "jsonl").splitlines():
                self.order.setdefault(json.loads(line)["id"], len(self.order))
        papers = self.rank(self.config("R1", ""))
        key = {self._key(j["title"]): j for j in judged}
        self.ids = sorted((p["id"] for p in papers), key=self.order.__getitem__)
        by_id = {p["id"]: p for p in papers}
        self.grades = {pid: {i: key[self._key(by_id[i]["title"])][pid] for i in self.ids} for pid in self.profiles}

    @staticmethod
    def _key(title: str) -> str:
        return re.sub(r"\s+", " ", title).strip().lower()

    def digest(self, *args: str, config: Path | None = None) -> str:
        cmd = digest_cmd() + (["--config", str(config)] if config else []) + list(args)
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True, check=True).stdout

    def config(self, pid: str, extra: str, name: str = "") -> Path:
        pr = self.profiles[pid]
        terms = {**pr["terms"], **pr["negative"]}
        lines = ["[interests]"] + [f"{json.dumps(t)} = {float(w)}" for t, w in terms.items()]
        lines += ["", "[show]", "limit = 1000", "min_score = -1000000.0", "", extra]
        path = self.work / f"{pid}-{name or abs(hash(extra))}.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def rank(self, config: Path) -> list[dict]:
        return json.loads(self.digest("show", "--all", "--format", "json", config=config))

    def tagged(self, pid: str, n: int = 5) -> list[str]:
        return [i for i in self.ids if self.grades[pid][i] == 2][:n]

    def metrics(self, scores: dict[str, float], pid: str, exclude: list[str]) -> tuple[float, float, float, set, int]:
        pool = [i for i in self.ids if i not in exclude]
        ranked = sorted(pool, key=lambda i: (-scores.get(i, 0.0), self.order[i]))
        g = self.grades[pid]
        r = sum(1 for i in pool if g[i] == 2)
        hits = {i for i in ranked[:r] if g[i] == 2}
        dcg = sum(g[i] / math.log2(k + 2) for k, i in enumerate(ranked[:10]))
        ideal = sorted((g[i] for i in pool), reverse=True)[:10]
        idcg = sum(x / math.log2(k + 2) for k, x in enumerate(ideal))
        p10 = sum(1 for i in ranked[:10] if g[i] >= 1) / 10
        return len(hits) / r, dcg / idcg, p10, hits, r


def scores_of(papers: list[dict], only: str | None = None) -> dict[str, float]:
    if only is None:
        return {p["id"]: p["score"] for p in papers}
    return {p["id"]: sum(m["weight"] for m in p["matches"] if m["field"] == only) for p in papers}


def sign_test(gained: int, lost: int) -> float:
    """One-sided p of at least ``gained`` successes in gained + lost fair coin flips."""
    n = gained + lost
    if n == 0:
        return 1.0
    return sum(math.comb(n, k) for k in range(gained, n + 1)) / 2**n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    args = ap.parse_args()
    if not (args.shared / "judged" / "judgments.jsonl").exists():
        raise SystemExit(f"{args.shared}/judged is absent: nothing to measure")
    with tempfile.TemporaryDirectory(prefix="digest-judged-") as tmp:
        b = Bench(args.shared, Path(tmp))
        pids = list(b.profiles)
        table: list[tuple[str, list]] = []
        base_hits: dict[str, dict[str, set]] = {}

        def variant(label: str, per_profile, tagged: bool, base: str | None = None) -> None:
            rows = []
            for pid in pids:
                ex = b.tagged(pid) if tagged else []
                if tagged:
                    b.digest("tag", *ex, "-t", "toread")
                try:
                    rows.append(b.metrics(per_profile(pid), pid, ex))
                finally:
                    if tagged:
                        b.digest("untag", *ex, "-t", "toread")
            hits = {pid: r[3] for pid, r in zip(pids, rows, strict=True)}
            base_hits.setdefault(label, hits)
            moved = ""
            if base is not None:
                ref = base_hits[base]
                gained = sum(len(hits[p] - ref[p]) for p in pids)
                lost = sum(len(ref[p] - hits[p]) for p in pids)
                moved = f"+{gained} / −{lost} (p = {sign_test(gained, lost):.2f})"
            table.append((label, [rows, moved]))

        kw = {pid: b.config(pid, "", "kw") for pid in pids}
        variant("keyword only", lambda pid: scores_of(b.rank(kw[pid])), False)
        sem = {pid: b.config(pid, "[semantic]\nweight = 1.0\ncompare = \"interests\"\n", "sem1") for pid in pids}
        variant("semantic only (interests)", lambda pid: scores_of(b.rank(sem[pid]), "semantic"), False)
        for w in WEIGHTS:
            cfg = {pid: b.config(pid, f"[semantic]\nweight = {w}\ncompare = \"interests\"\n", f"w{w}") for pid in pids}
            variant(f"keyword + semantic, weight {w:g}", lambda pid, cfg=cfg: scores_of(b.rank(cfg[pid])), False,
                    base="keyword only")
        variant("5 tagged: keyword only", lambda pid: scores_of(b.rank(kw[pid])), True)
        sim = {pid: b.config(pid, '[similarity]\ntags = ["toread"]\n', "sim") for pid in pids}
        variant("5 tagged: keyword + TF-IDF [similarity]", lambda pid: scores_of(b.rank(sim[pid])), True,
                base="5 tagged: keyword only")
        for compare in ("kept", "both"):
            only = {pid: b.config(pid, f'[semantic]\nweight = 1.0\ncompare = "{compare}"\n', f"o{compare}")
                    for pid in pids}
            variant(f"5 tagged: semantic only ({compare})",
                    lambda pid, only=only: scores_of(b.rank(only[pid]), "semantic"), True)
        for compare in ("interests", "kept", "both"):
            for w in WEIGHTS[:5]:
                cfg = {pid: b.config(pid, f'[semantic]\nweight = {w}\ncompare = "{compare}"\n', f"t{compare}{w}")
                       for pid in pids}
                variant(f"5 tagged: keyword + semantic ({compare}), weight {w:g}",
                        lambda pid, cfg=cfg: scores_of(b.rank(cfg[pid])), True, base="5 tagged: keyword only")

    print("| variant | R-prec | nDCG@10 | P@10 | grade-2 in top R | vs keyword only: grade-2 entering / leaving "
          "top R (sign test) | R-prec per profile " + " ".join(pids) + " |")
    print("|---|---|---|---|---|---|---|")
    for label, (rows, moved) in table:
        mean = [sum(r[k] for r in rows) / len(rows) for k in range(3)]
        hits = sum(len(r[3]) for r in rows)
        total = sum(r[4] for r in rows)
        per = " ".join(f"{r[0]:.2f}" for r in rows)
        print(f"| {label} | {mean[0]:.3f} | {mean[1]:.3f} | {mean[2]:.3f} | {hits}/{total} | {moved} | {per} |")


if __name__ == "__main__":
    main()
