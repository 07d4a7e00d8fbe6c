"""Run every benchmark row and print measured vs target (median of several runs, peak RSS).

    python benchmarks/run.py                 # full scale: stores of 1,000 and 1,000,000 items
    python benchmarks/run.py --scale ci      # small scale (CI): proves the suite runs, asserts no times
    python benchmarks/run.py --markdown      # also print the table as Markdown (for RESULTS.md)

Every row shows the median wall time and, beside it, the median CPU time (user + sys of the
command and of the children it waited for, from os.wait4); the run prints the machine's load
average before and after. Verdicts compare the wall time with the target (see RESULTS.md).

Synthetic data is generated on first use under benchmarks/data/ (git-ignored);
the 1M-item store takes a few minutes and about 2 GB of disk.
Each row runs the installed `digest` command in a fresh process, as a user would.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import PER_RUN  # noqa: E402  (a daily run brings about this many papers)
from spawn import log_path, spawner  # noqa: E402  (commands started from a small process: see spawn.py)


def generate(data: Path, sizes: list[int]) -> None:
    """Generate (or reuse) the synthetic data, in a subprocess: this process stays small,
    because a child's peak RSS as the kernel reports it starts from its parent's size."""
    subprocess.run([sys.executable, str(HERE / "generate.py"), "--out", str(data),
                    "--store-sizes", ",".join(map(str, sizes))], check=True)


def digest_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "digest"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("digest")
    return [found] if found else [sys.executable, "-m", "digest"]


def fmt_seconds(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 2 else f"{s:.2f} s"


@dataclass
class Sample:
    wall: float  # seconds
    rss_mb: float  # peak RSS
    cpu: float  # user + sys seconds, the command's waited-for children included


@dataclass
class Row:
    name: str
    target: str
    limit_s: float | None = None  # the time target in seconds (None: not a time)
    limit_mb: float | None = None
    seconds: float | None = None
    rss_mb: float | None = None
    cpu: float | None = None  # median CPU seconds (user + sys, children included)
    cpu_value: str | None = None  # the CPU figure of a row that is not a time
    note: str = ""
    value: str | None = None  # a measured value that is not a time
    ok: bool | None = None

    def measured(self) -> str:
        if self.value is not None:
            return self.value
        if self.seconds is None:
            return "—"
        return fmt_seconds(self.seconds)

    def cpu_measured(self) -> str:
        if self.cpu_value is not None:
            return self.cpu_value
        return "—" if self.cpu is None else fmt_seconds(self.cpu)

    def verdict(self) -> str:
        if self.ok is None:
            ok = True
            if self.limit_s is not None and self.seconds is not None:
                ok = self.seconds <= self.limit_s
            if self.limit_mb is not None and self.rss_mb is not None:
                ok = ok and self.rss_mb <= self.limit_mb
            self.ok = ok
        return "meets" if self.ok else "MISSES"


def fresh_dump(data: Path) -> Path:
    """A 100-paper Daily Papers dump that no store has seen (titles numbered from a counter kept
    under ``data``), so that a daily run really ingests 100 new papers: the 12 generated dumps
    are in the 1M store after the first benchmark run, and a run of them ingests nothing."""
    import random

    from generate import dump_text

    d = data / "fresh"
    d.mkdir(exist_ok=True)
    counter = d / "next"
    k = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(f"{k + 1}\n")
    for old in d.glob("day-*.txt"):  # (one a run: the older ones are ingested already)
        old.unlink()
    p = d / f"day-{k:06d}.txt"
    p.write_text(dump_text(random.Random(1000 + k), 100, 90_000_000 + k * 1000), encoding="utf-8")
    return p


def run_once(args: list[str], env: dict | None = None) -> Sample:
    """Wall seconds, peak RSS (MB) and CPU seconds of one command, output discarded (started by
    the small spawner process: see spawn.py)."""
    m = spawner().measure(args, log_path(), env=env, stdout=os.devnull)
    return Sample(m.wall, m.rss_mb, m.cpu)


def tty_once(args: list[str], env: dict | None = None) -> Sample:
    """As run_once, with stdout a terminal (a pseudo-terminal whose output is read and dropped):
    the command draws for a terminal and pages through less, as a user at a terminal sees it."""
    import pty
    import threading

    master, slave = pty.openpty()

    def drain() -> None:
        try:
            while os.read(master, 65536):
                pass
        except OSError:  # the terminal's last writer is gone
            pass

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        m = spawner().measure(args, log_path(), env=env, stdout=os.ttyname(slave))
    finally:
        os.close(slave)
        reader.join()
        os.close(master)
    return Sample(m.wall, m.rss_mb, m.cpu)


def median_of(fn, runs: int) -> Sample:
    """Median wall and CPU time and the highest peak RSS of ``runs`` runs of ``fn(i) -> Sample``."""
    samples = [fn(i) for i in range(runs)]
    return Sample(statistics.median(s.wall for s in samples), max(s.rss_mb for s in samples),
                  statistics.median(s.cpu for s in samples))


def timed_row(name: str, target: str, limit_s: float | None, limit_mb: float | None, m: Sample) -> Row:
    return Row(name, target, limit_s, limit_mb, seconds=m.wall, rss_mb=m.rss_mb, cpu=m.cpu)


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def env_with(**kw) -> dict:
    env = dict(os.environ)
    env.pop("DIGEST_CONFIG", None)
    # An installed package has its bytecode compiled (pip does it at install time); without
    # this, an editable checkout under PYTHONDONTWRITEBYTECODE recompiles every module per run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update({k: str(v) for k, v in kw.items()})
    return env


def bench(scale: str, data: Path, runs: int) -> list[Row]:
    big, small = (1_000_000, 1_000) if scale == "full" else (2_000, 200)
    generate(data, [small, big])
    dg = digest_cmd()
    rows: list[Row] = []
    home = data / "home"
    home.mkdir(exist_ok=True)
    env = env_with(DIGEST_HOME=home, COLUMNS=100)
    dumps = sorted((data / "dumps").glob("day-*.txt"))
    # warm-up: bytecode written, page cache warm (these runs are not measured)
    for warm in (["--help"], ["parse", str(dumps[-1])], ["--store", str(data / f"store-{small}"), "show"]):
        run_once(dg + warm, env)

    def ingest_row(n: int, label: str, limit_s: float | None, limit_mb: float | None) -> Row:
        store = data / f"store-{n}"
        cfg_text = (data / "interests-100.toml").read_text()

        def one(i: int):
            dump = fresh_dump(data)
            cfg = data / f"run-{n}-{i}.toml"
            cfg.write_text(cfg_text + f'\n[sources.today]\npath = "{dump}"\n')
            return run_once(dg + ["--store", str(store), "--config", str(cfg), "run", "--force", "--limit", "20"], env)

        # a fresh dump for every run, so each one really ingests 100 new papers (fresh_dump)
        run_once(dg + ["--store", str(store), "show", "--limit", "1"], env)  # warm the page cache / index
        m = median_of(one, runs)
        target = f"≤ {limit_s * 1000:.0f} ms, ≤ {limit_mb:.0f} MB" if limit_s else ""
        return timed_row(label, target, limit_s, limit_mb, m)

    # Each ingest run appends 100 papers; stores are regenerated when their marker is removed.
    r_big = ingest_row(big, f"ingest 100-item dump + diff + score + print top 20, store of {big:,}", 0.120, 64)
    rows.append(r_big)
    r_small = ingest_row(small, f"the same, store of {small:,}", None, None)
    r_small.target = "within 10 % of the row above"
    if r_big.seconds:
        r_small.ok = abs(r_big.seconds - r_small.seconds) <= 0.10 * r_small.seconds + 0.005
        r_small.note = f"{(r_big.seconds / r_small.seconds - 1) * 100:+.0f} % for the bigger store"
    rows.append(r_small)

    for n_terms, limit in ((100, 8.0), (1000, 12.0)):
        cfg = data / f"interests-{n_terms}.toml"
        args = dg + ["--store", str(data / f"store-{big}"), "--config", str(cfg), "show", "--all", "--limit", "50"]
        m = median_of(lambda i, args=args: run_once(args, env), max(1, min(runs, 3)))
        rows.append(timed_row(f"full rescore of {big:,} items, {n_terms} interests, both cores", f"≤ {limit:g} s",
                              limit, None, m))
        if n_terms == 100:
            one_core = env_with(DIGEST_HOME=home, DIGEST_WORKERS=1)
            m1 = median_of(lambda i, args=args, env=one_core: run_once(args, env), max(1, min(runs, 3)))
            rows.append(timed_row("the same on one core (DIGEST_WORKERS=1)", "≤ 15 s", 15.0, None, m1))

    rows += semantic_rows(data, big, dg, env, runs, dumps, r_big, rows)

    m = median_of(lambda i: run_once(dg + ["--help"], env), runs * 2)
    rows.append(timed_row("digest --help", "≤ 50 ms", 0.050, None, m))
    m = median_of(lambda i: tty_once(dg + ["--help"], env), runs * 2)
    rows.append(timed_row("the same in a terminal (a pty)", "≤ 50 ms", 0.050, None, m))

    args = dg + ["--store", str(data / f"store-{big}"), "--config", str(data / "interests-100.toml"),
                 "show", "--limit", "20"]
    m = median_of(lambda i: run_once(args, env), runs * 2)
    rows.append(timed_row(f"print a 20-item digest from the store of {big:,}", "≤ 80 ms", 0.080, None, m))
    m = median_of(lambda i: tty_once(args, env), runs * 2)
    rows.append(timed_row("the same in a terminal (a pty; paged by less, as a user sees it)", "≤ 80 ms", 0.080, None,
                          m))

    def run_in_tty(i: int):
        cfg = data / f"run-tty-{i}.toml"
        cfg.write_text((data / "interests-100.toml").read_text()
                       + f'\n[sources.today]\npath = "{fresh_dump(data)}"\n')
        return tty_once(dg + ["--store", str(data / f"store-{big}"), "--config", str(cfg), "run", "--force",
                              "--limit", "20"], env)

    m = median_of(run_in_tty, runs)
    rows.append(timed_row(f"the daily run of the first row in a terminal (a pty, paged), store of {big:,}",
                          "≤ 120 ms", 0.120, None, m))

    rows.append(copied_store_row(dg, data / f"store-{big}", big, env, data / "interests-100.toml"))

    days = 365 if scale == "full" else 20
    ev_store = eval_store(data / f"store-{big}", days, dg, env)
    args = dg + ["--store", str(ev_store), "--config", str(data / "interests-100.toml"), "eval"]
    m = median_of(lambda i: run_once(args, env), max(1, min(runs, 3)))
    rows.append(timed_row(f"digest eval: a year of daily runs replayed ({days} runs with a tagged paper, "
                          f"~{PER_RUN} papers each), store of {big:,}", "≤ 5 s", 5.0, None, m))

    from learning import learning_rows  # issue 12: what votes cost the daily path

    rows += learning_rows(scale, data, runs, dg=dg, env=env, config=data / "interests-100.toml",
                          run_once=run_once, median_of=median_of, Row=Row)

    from learning import cpu_once
    from similarity import similarity_rows  # issue 15 §2: the cached similarity profile

    rows += similarity_rows(scale, data, runs, dg=dg, env=env, config=data / "interests-100.toml",
                            fresh_dump=fresh_dump, cpu_once=cpu_once, Row=Row)

    rows.append(list_row(dg, data / f"store-{big}", big, env, runs))
    rows.append(parse_row(data / "big_dump.txt", runs))
    for name, path in (("arXiv Atom feed", data / "feed.xml"), ("HF daily_papers JSON", data / "daily_papers.json")):
        m = median_of(lambda i, path=path: run_once(dg + ["parse", str(path)], env), runs)
        rows.append(timed_row(f"digest parse of a 100-item {name} (whole command)", "(no target)", None, None, m))
    return rows


SEMANTIC = "\n[semantic]\nweight = 1.0\n"


def semantic_rows(data: Path, big: int, dg: list[str], env: dict, runs: int, dumps: list[Path],
                  r_big: Row, rows: list[Row]) -> list[Row]:
    """The semantic extra ([semantic] on, the default wordllama model): building its cache for the
    big store once, the daily run (target: the keyword-only daily run + 300 ms) and the full rescore
    (target: within 2x the keyword-only rescore). Skipped when the extra is not installed."""
    try:
        import numpy  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError:
        return [Row("semantic rows", "(the semantic extra is not installed)")]
    store = data / f"store-{big}"
    cfg = data / "interests-100-semantic.toml"
    cfg.write_text((data / "interests-100.toml").read_text() + SEMANTIC)
    out: list[Row] = []
    # the cache of the whole store, built from items.jsonl by the first command that needs it
    # (once per generated store; later runs only catch up what the keyword rows appended)
    fresh = not (store / "semantic.vec").exists()
    m = run_once(dg + ["--store", str(store), "--config", str(cfg), "show", "--limit", "1"], env)
    if fresh:
        out.append(timed_row(f"build the semantic cache of the {big:,}-item store from items.jsonl (once)",
                             "(no target)", None, None, m))

    def one(i: int):
        dump = fresh_dump(data)
        run_cfg = data / f"run-semantic-{i}.toml"
        run_cfg.write_text(cfg.read_text() + f'\n[sources.today]\npath = "{dump}"\n')
        return run_once(dg + ["--store", str(store), "--config", str(run_cfg), "run", "--force", "--limit", "20"],
                        env)

    m = median_of(one, runs)
    limit = (r_big.seconds + 0.300) if r_big.seconds else None
    row = timed_row(f"the daily run of the first row with [semantic] on, store of {big:,}",
                    "≤ the first row + 300 ms", limit, None, m)
    if r_big.seconds:
        row.note = f"+{(m.wall - r_big.seconds) * 1000:.0f} ms wall, " \
                   f"+{(m.cpu - (r_big.cpu or 0)) * 1000:.0f} ms CPU over the keyword-only run"
    out.append(row)
    keyword = next((r for r in rows if r.name.startswith(f"full rescore of {big:,} items, 100 ")), None)
    args = dg + ["--store", str(store), "--config", str(cfg), "show", "--all", "--limit", "50"]
    m = median_of(lambda i: run_once(args, env), max(1, min(runs, 3)))
    limit = 2 * keyword.seconds if keyword and keyword.seconds else None
    row = timed_row(f"full rescore of {big:,} items, 100 interests, [semantic] on, both cores",
                    "≤ 2× the keyword-only rescore", limit, None, m)
    if keyword and keyword.seconds:
        row.note = f"{m.wall / keyword.seconds:.2f}× the keyword-only rescore"
    out.append(row)
    return out


def eval_store(src: Path, days: int, dg: list[str], env: dict) -> Path:
    """A store sharing ``src``'s papers (items.jsonl hard-linked, the index copied) with one paper
    tagged in each of its last ``days`` runs, for the `digest eval` row; made once."""
    import sqlite3

    dst = src.parent / f"{src.name}-eval-{days}"
    if (dst / ".tagged").exists():
        return dst
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir()
    run_once(dg + ["--store", str(src), "show", "--limit", "1"], env)  # the index is fresh
    for name in ("items.jsonl", "meta.json"):
        os.link(src / name, dst / name)
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{src / 'index.sqlite'}{suffix}").exists():
            shutil.copy2(f"{src / 'index.sqlite'}{suffix}", f"{dst / 'index.sqlite'}{suffix}")
    db = sqlite3.connect(dst / "index.sqlite")
    top = db.execute("SELECT max(first_run) FROM items").fetchone()[0]
    ids = [r[0] for r in db.execute("SELECT min(id) FROM items WHERE first_run > ? GROUP BY first_run",
                                    (top - days,))]
    db.close()
    p = subprocess.run(dg + ["--store", str(dst), "tag", "-", "-t", "toread"], input="\n".join(ids) + "\n",
                       capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(f"tagging for the eval row failed: {p.stderr[-2000:]}")
    (dst / ".tagged").write_text("ok\n")
    return dst


def copied_store_row(dg: list[str], src: Path, n: int, env: dict, config: Path) -> Row:
    """The first `show` of a store copied with `cp -r` (new inodes, new modification times, as a
    restored backup or a new laptop has): the index is known by the file's content, so it is
    used as it is, not rebuilt. One sample (only the first command after a copy is the case);
    the copy is made afresh and removed."""
    run_once(dg + ["--store", str(src), "show", "--limit", "1"], env)  # the source's index is fresh
    dst = src.parent / f"{src.name}-copy"
    shutil.rmtree(dst, ignore_errors=True)
    subprocess.run(["cp", "-r", str(src), str(dst)], check=True)
    try:
        m = run_once(dg + ["--store", str(dst), "--config", str(config), "show", "--limit", "20"], env)
    finally:
        shutil.rmtree(dst, ignore_errors=True)
    return timed_row(f"the first show of a copy (cp -r) of the store of {n:,}", "< 1 s", 1.0, None, m)


def list_row(dg: list[str], store: Path, n: int, env: dict, runs: int) -> Row:
    """`digest list --untagged` of the whole store as a table (piped, as to a pager or a file):
    one scan for the sort keys, then every record read again and laid out as it is written. The
    verdict is the time a paper costs beyond start-up (the same command listing nothing)."""
    whole = median_of(lambda i: run_once(dg + ["--store", str(store), "list", "--untagged"], env),
                      max(1, min(runs, 3)))
    empty = median_of(lambda i: run_once(dg + ["--store", str(store), "list", "--tag", "no-such-tag"], env), runs)
    per = (whole.wall - empty.wall) / n * 1000
    per_cpu = (whole.cpu - empty.cpu) / n * 1000
    row = timed_row(f"list --untagged as a table, all {n:,} papers of the store", "≤ 0.05 ms a paper",
                    None, None, whole)
    row.note = f"{per:.4f} ms a paper ({per_cpu:.4f} CPU) beyond the {empty.wall * 1000:.0f} ms start-up"
    row.ok = per <= 0.05
    return row


PARSE_RATE = """
import statistics, sys, time
from datetime import date
from digest.sources.dump import parse_dump
data = open(sys.argv[1], "rb").read()
times, cpu = [], []
res = None
for _ in range(int(sys.argv[2])):
    res = None  # the previous parse is freed before the clock starts (an ingest parses once)
    t0, c0 = time.perf_counter(), time.process_time()
    res = parse_dump(data, source=sys.argv[1], ref_date=date(2025, 11, 21))
    times.append(time.perf_counter() - t0)
    cpu.append(time.process_time() - c0)
print(len(res.items), statistics.median(times), statistics.median(cpu))
"""


def parse_row(path: Path, runs: int) -> Row:
    out = subprocess.run([sys.executable, "-c", PARSE_RATE, str(path), str(runs)], check=True,
                         capture_output=True, text=True).stdout.split()
    n, seconds, cpu = int(out[0]), float(out[1]), float(out[2])
    rate = n / seconds
    row = Row(f"parse a Daily Papers text dump ({n:,} items, in-process)", "≥ 100,000 items/s",
              value=f"{rate:,.0f} items/s", cpu_value=f"{n / cpu:,.0f} items/s")
    row.ok = rate >= 100_000
    return row


def print_grid(head, rows, markdown: bool, *, left: int | None = None) -> None:
    """Rows of strings under ``head``: as a Markdown table, or as aligned columns (the first
    ``left`` left-aligned and the others right-aligned; all left-aligned by default)."""
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(r) + " |")
        return
    n = len(head) if left is None else left
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    for r in (head, *rows):
        cells = (c.ljust(w) if i < n else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        print("  ".join(cells).rstrip())


def print_table(rows: list[Row], markdown: bool) -> None:
    if markdown:
        print("| operation | target | measured (median) | CPU user+sys (median) | peak RSS | verdict |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            rss = f"{r.rss_mb:.0f} MB" if r.rss_mb else "—"
            note = f" ({r.note})" if r.note else ""
            print(f"| {r.name} | {r.target} | {r.measured()}{note} | {r.cpu_measured()} | {rss} | {r.verdict()} |")
        return
    w = max(len(r.name) for r in rows)
    for r in rows:
        rss = f"{r.rss_mb:6.0f} MB" if r.rss_mb else "      —  "
        note = f"  {r.note}" if r.note else ""
        print(f"{r.name:<{w}}  {r.measured():>16}  cpu {r.cpu_measured():>16}  {rss}  target {r.target:<26} "
              f"{r.verdict()}{note}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=["full", "ci"], default="full")
    ap.add_argument("--runs", type=int, default=None, help="runs per row (default 5; 2 at ci scale)")
    ap.add_argument("--data", type=Path, default=None, help="where synthetic data goes")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    spawner()  # started now, while this process is small (spawn.py)
    runs = args.runs or (5 if args.scale == "full" else 2)
    data = args.data or HERE / "data" / args.scale
    print(f"# digest benchmarks, scale={args.scale}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {date.today()}", flush=True)
    print(f"# load average (1/5/15 min) before: {load_average()}", flush=True)
    rows = bench(args.scale, data, runs)
    print(f"# load average (1/5/15 min) after: {load_average()}")
    print_table(rows, args.markdown)
    if args.scale == "ci":
        print("(ci scale: times are not asserted)")


if __name__ == "__main__":
    main()
