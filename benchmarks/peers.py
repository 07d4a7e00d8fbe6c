"""Peers: rss2email's one-mail digest mode beside `digest run --email`, on the same feed and history.

    python benchmarks/peers.py                       # 1k, 10k, 100k seen entries, 5 runs each
    python benchmarks/peers.py --quick               # smoke test: 1k seen entries, 1 run
    python benchmarks/peers.py --sizes 1000,10000 --runs 9 --markdown
    python benchmarks/peers.py --profile             # also: import and per-phase profile of both tools

What is compared, for each history size N:
  rss2email   (installed from PyPI into benchmarks/.peers-venv, never a dependency of digest)
              with one feed whose state has seen N entries, `digest = True` (one multipart/digest
              mail per feed and run) and `email-protocol = sendmail`;
  digest      `digest run --email --unmatched` with one `[sources.arxiv]` URL, a store that has seen
              the same N papers, 100 interests, `[email] transport = "sendmail"`, max_items = 100 (so its mail,
              like rss2email's, lists every new entry; --max-items 20 measures digest's default).
Both fetch the same Atom feed of 100 new arXiv-style entries from a server on 127.0.0.1 and hand
their mail to the same sendmail stand-in (a shell script that saves stdin and exits 0). Each run
starts from the same state (rss2email's JSON copied back; digest's store truncated back to its
N papers with its small files restored, so its index stays valid), and the runs alternate
rss2email, digest, rss2email, digest ... Every run is checked: one fetch, exactly one message,
and that message names all 100 new entries.

Reported per tool: median wall time, median CPU time (user + sys of the child and of the children
it waited for, from os.wait4), peak RSS (ru_maxrss), and the ratio digest / rss2email. The floors
are the same interpreter doing nothing (`python -c pass`), importing click, and a standard-library
script that fetches the same feed, scores it against the same interests by substring and prints
the top 20. Data goes to benchmarks/data/peers/ (git-ignored; the 100k store takes ~30 s once).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import hashlib
import html
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import digest_cmd, env_with, print_grid  # noqa: E402  (the main runner's digest command and environment)
from spawn import Measured as Sample  # noqa: E402  (wall, CPU, peak RSS of one command)
from spawn import Spawner  # noqa: E402  (commands started from a small process: honest peak RSS)

RSS2EMAIL = "rss2email==3.14"  # pinned: the peer measured is a known version
VENV = HERE / ".peers-venv"
FEED_ITEMS = 100
FEED_YYMM = "2612"  # the stores' arXiv ids are 2001-2611: every feed entry is new to both tools
INTEREST_TERMS = 100  # as in the main runner's daily row
SIZES = (1_000, 10_000, 100_000)

FLOOR_SCRIPT = r'''
"""The whole job with the standard library: fetch the feed, score by substring, print the top 20."""
import sys, tomllib, urllib.request, xml.etree.ElementTree as ET
url, cfg = sys.argv[1], sys.argv[2]
with urllib.request.urlopen(url, timeout=30) as resp:
    data = resp.read()
with open(cfg, "rb") as fh:
    terms = {t.rstrip("*").lower(): w for t, w in tomllib.load(fh)["interests"].items()}
A = "{http://www.w3.org/2005/Atom}"
scored = []
for e in ET.fromstring(data).iter(A + "entry"):
    title = " ".join(e.findtext(A + "title", "").split())
    low_t, low_a = title.lower(), e.findtext(A + "summary", "").lower()
    scored.append((sum(w * (2 * (t in low_t) + (t in low_a)) for t, w in terms.items()), title))
scored.sort(key=lambda x: -x[0])
print("\n".join(f"{s:5.1f}  {t}" for s, t in scored[:20]))
'''


# --------------------------------------------------------------------------- preparation
def ensure_rss2email() -> Path:
    """rss2email in its own virtual environment (created once, reused)."""
    r2e = VENV / "bin" / "r2e"
    marker = VENV / (".installed-" + RSS2EMAIL.replace("==", "-"))
    if r2e.exists() and marker.exists():
        return r2e
    print(f"installing {RSS2EMAIL} into {VENV} ...", file=sys.stderr, flush=True)
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", RSS2EMAIL], check=True)
    marker.write_text("ok\n")
    return r2e


def feed_bytes(data: Path) -> tuple[bytes, list[str]]:
    """The new day's feed (generated once) and its entry titles."""
    import xml.etree.ElementTree as ET

    path = data / "today.xml"
    if not path.exists():
        from generate import feed_text

        path.write_text(feed_text(random.Random(2612), FEED_ITEMS, 90_000, yymm=FEED_YYMM), encoding="utf-8")
    body = path.read_bytes()
    a = "{http://www.w3.org/2005/Atom}"
    titles = [" ".join(e.findtext(a + "title", "").split()) for e in ET.fromstring(body).iter(a + "entry")]
    assert len(titles) == FEED_ITEMS, titles
    return body, titles


def interests_file(data: Path) -> Path:
    path = data / f"interests-{INTEREST_TERMS}.toml"
    if not path.exists():
        from generate import interests

        text = interests(random.Random(INTEREST_TERMS), INTEREST_TERMS)
        path.write_text(text.split("\n[show]")[0] + "\n", encoding="utf-8")  # the [interests] table only
    return path


def prepare_size(data: Path, n: int) -> None:
    """A digest store of N papers and an rss2email state that has seen the same N entries.

    Runs in a child process (``--prepare``), so this process stays small."""
    from generate import make_store

    store = data / f"store-{n}"
    make_store(store, n)
    state = data / f"rss2email-{n}.json"
    if state.exists():
        return
    seen: dict[str, dict] = {}
    with open(store / "items.jsonl", "rb") as fh:
        for line in fh:
            rec = json.loads(line)
            # what rss2email keeps per entry: the feed's entry id -> {"hash": sha1 of the content}
            guid = f"http://arxiv.org/abs/{rec['arxiv_id']}v{rec.get('arxiv_version') or 1}"
            seen[guid] = {"hash": hashlib.sha1(rec["abstract"].encode("unicode-escape")).hexdigest()}
    if len(seen) != n:
        raise SystemExit(f"{store}: {len(seen)} distinct entries, expected {n}")
    tmp = state.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:  # rss2email's own data-file layout (version 2)
        json.dump({"version": 2, "feeds": [{"name": "arxiv", "etag": None, "modified": None, "seen": seen}]},
                  fh, indent=2, separators=(",", ": "))
        fh.write("\n")
    os.replace(tmp, state)


# --------------------------------------------------------------------------- the digest store, reset per run
ITEMS = "items.jsonl"


def snapshot(store: Path, snap: Path) -> None:
    """Remember the store as it is now: the size (and inode) of items.jsonl, a copy of every other file."""
    if snap.exists():
        shutil.rmtree(snap)
    snap.mkdir()
    for f in store.iterdir():
        if f.name != ITEMS and f.is_file():
            shutil.copy2(f, snap / f.name)
    st = os.stat(store / ITEMS)
    (snap / ".items").write_text(f"{st.st_size} {st.st_ino}\n")


def restore(store: Path, snap: Path) -> bool:
    """Put the store back as the snapshot saw it; False when items.jsonl is not the same file."""
    size, ino = map(int, (snap / ".items").read_text().split())
    st = os.stat(store / ITEMS)
    if st.st_ino != ino or st.st_size < size:
        return False
    os.truncate(store / ITEMS, size)  # same file, same inode: the restored index describes it again
    for f in store.iterdir():
        if f.name != ITEMS:
            shutil.rmtree(f) if f.is_dir() else f.unlink()
    for f in snap.iterdir():
        if f.name != ".items":
            shutil.copy2(f, store / f.name)
    return True


# --------------------------------------------------------------------------- the feed server
class FeedServer:
    """Serves the feed at /today.xml on 127.0.0.1 (no validators: every fetch is a full 200)."""

    def __init__(self, body: bytes) -> None:
        server = self
        self.hits = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path != "/today.xml":
                    self.send_error(404)
                    return
                server.hits += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/today.xml"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --------------------------------------------------------------------------- measuring
@dataclass
class Series:
    name: str
    samples: list[Sample] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in self.samples)

    def spread(self, attr: str) -> tuple[float, float]:
        vals = [getattr(s, attr) for s in self.samples]
        return min(vals), max(vals)

    @property
    def rss(self) -> float:
        return max(s.rss_mb for s in self.samples)


def _norm(text: str) -> str:
    return " ".join(html.unescape(text).split()).lower()


def check_mail(spool: Path, titles: list[str], who: str, expect: int) -> None:
    """Exactly one message arrived, and it names ``expect`` of the new entries (all, unless
    digest's max_items keeps fewer)."""
    msgs = sorted(spool.iterdir())
    if len(msgs) != 1:
        raise SystemExit(f"{who}: the sendmail stand-in received {len(msgs)} messages, expected 1")
    msg = email.message_from_bytes(msgs[0].read_bytes(), policy=email.policy.default)
    texts = []
    for part in msg.walk():
        if part.get("Subject"):
            texts.append(str(part["Subject"]))
        if part.get_content_maintype() == "text":
            texts.append(part.get_content())
    body = _norm("\n".join(texts))
    missing = [t for t in titles if _norm(t) not in body]
    if len(titles) - len(missing) != expect:
        raise SystemExit(f"{who}: the mail names {len(titles) - len(missing)} of the {len(titles)} new entries, "
                         f"expected {expect}" + (f"; it lacks e.g. {missing[0]!r}" if missing else ""))


class Bench:
    def __init__(self, data: Path, body: bytes, titles: list[str], r2e: Path, max_items: int = FEED_ITEMS) -> None:
        self.data, self.titles, self.r2e, self.max_items = data, titles, r2e, max_items
        self.work = data / "work"
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        self.spool = self.work / "spool"
        self.spool.mkdir()
        self.server = FeedServer(body)
        self.standin = self.work / "sendmail"
        self.standin.write_text(f'#!/bin/sh\nexec cat > "{self.spool}/msg.$$"\n')
        self.standin.chmod(0o755)
        self.floor = self.work / "floor.py"
        self.floor.write_text(FLOOR_SCRIPT)
        self.interests = interests_file(data)
        self.env = env_with(DIGEST_HOME=self.work / "home", XDG_CONFIG_HOME=self.work / "xdg-config",
                            XDG_DATA_HOME=self.work / "xdg-data", no_proxy="127.0.0.1,localhost")
        for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            self.env.pop(k, None)
        self.r2e_cfg = self.work / "rss2email.cfg"
        self.r2e_cfg.write_text(
            "[DEFAULT]\n"
            "from = rss2email <bench@example.org>\n"
            "to = reader@example.org\n"
            "digest = True\n"                       # one mail per feed and run ...
            "digest-type = multipart/digest\n"      # ... of every new entry
            "email-protocol = sendmail\n"
            f"sendmail = {self.standin}\n"
            "\n[feed.arxiv]\n"
            f"url = {self.server.url}\n"
        )
        self.r2e_state = self.work / "rss2email.json"
        self.digest_cfg = self.work / "digest.toml"
        self.digest_cfg.write_text(
            self.interests.read_text()
            + f'\n[sources.arxiv]\nurl = "{self.server.url}"\n'
            + '\n[email]\nfrom = "digest <bench@example.org>"\nto = "reader@example.org"\n'
            + f'transport = "sendmail"\nsendmail_command = ["{self.standin}", "-t", "-oi"]\n'
            + f"max_items = {max_items}\nmin_score = -1000.0\n"
        )
        self.dg = digest_cmd()
        self.spawner = Spawner(self.env)

    def _clear_spool(self) -> None:
        for f in self.spool.iterdir():
            f.unlink()

    def _checked(self, who: str, args: list[str], expect: int) -> Sample:
        self._clear_spool()
        hits = self.server.hits
        s = self.spawner.measure(args, self.work / f"{who}.log")
        if self.server.hits != hits + 1:
            raise SystemExit(f"{who}: fetched the feed {self.server.hits - hits} times, expected once")
        check_mail(self.spool, self.titles, who, expect)
        return s

    def rss2email(self, n: int) -> Sample:
        shutil.copyfile(self.data / f"rss2email-{n}.json", self.r2e_state)
        return self._checked("rss2email", self.r2e_args(), len(self.titles))

    def r2e_args(self) -> list[str]:
        return [str(self.r2e), "-c", str(self.r2e_cfg), "-d", str(self.r2e_state), "run"]

    def digest_args(self, n: int) -> list[str]:
        # --unmatched: like rss2email's, the mail lists every new entry, those no interest matched too
        return self.dg + ["--store", str(self.data / f"store-{n}"), "--config", str(self.digest_cfg), "run", "--email",
                          "--unmatched"]

    def digest_ready(self, n: int) -> None:
        """The store of N papers as prepared; its snapshot (re)taken when missing or stale."""
        store, snap = self.data / f"store-{n}", self.data / f"store-{n}.snapshot"
        if snap.exists() and restore(store, snap):
            return
        # first use (or the store was copied): let digest bring its index up to date, then remember it
        with open(store / ITEMS, "rb") as fh:
            lines = sum(1 for _ in fh)
        if lines != n:
            raise SystemExit(f"{store}: {lines:,} records, expected {n:,} (an interrupted run?); delete it to rebuild")
        # (with the run's config: the ranking's caches in the index, such as the damping shares of
        # its terms, are what a daily user's store holds; with another config every run recounts)
        warm = ["--store", str(store), "--config", str(self.digest_cfg), "show", "--limit", "1"]
        self.spawner.measure(self.dg + warm, self.work / "warm.log")
        snapshot(store, snap)

    def digest(self, n: int) -> Sample:
        self.digest_ready(n)
        return self._checked("digest", self.digest_args(n), min(self.max_items, len(self.titles)))

    def floors(self, runs: int) -> list[Series]:
        py = sys.executable
        cmds = [("python -c pass", [py, "-c", "pass"]),
                ("python -c 'import click'", [py, "-c", "import click"]),
                ("stdlib script: fetch, score by substring, print top 20",
                 [py, str(self.floor), self.server.url, str(self.interests)])]
        out = [Series(name) for name, _ in cmds]
        for _, args in cmds:  # warm-up
            self.spawner.measure(args, self.work / "floor.log")
        for _ in range(runs):
            for series, (_, args) in zip(out, cmds, strict=True):
                series.samples.append(self.spawner.measure(args, self.work / "floor.log"))
        lines = (self.work / "floor.log").read_text().splitlines()
        if len(lines) != 20:
            raise SystemExit(f"the standard-library floor printed {len(lines)} lines, expected 20")
        return out

    def close(self) -> None:
        self.spawner.close()
        self.server.close()


# --------------------------------------------------------------------------- profile
PHASE_HARNESS = r"""
import importlib, json, sys, time
t0 = time.perf_counter()
out, modules, targets, entry = sys.argv[1:5]
for name in open(modules).read().split():  # every module the real command imports, in its order
    try:
        importlib.import_module(name)
    except Exception:
        pass
imports = time.perf_counter() - t0
totals = {}

def timed(label, fn):
    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            totals[label] = totals.get(label, 0.0) + time.perf_counter() - t
    return wrapper

def resolve(target):
    modname, qual = target.split(":")
    try:
        owner = importlib.import_module(modname)
        *path, name = qual.split(".")
        for p in path:
            owner = getattr(owner, p)
        return owner, name, getattr(owner, name), not path
    except (ImportError, AttributeError):
        return None

def patch(label, alternatives, missing):  # a function: its locals are not module globals the scan could hit
    found = next(filter(None, map(resolve, alternatives.split("|"))), None)  # the first that exists
    if found is None:
        missing.append(alternatives)
        return
    owner, name, fn, top = found
    w = timed(label, fn)
    setattr(owner, name, w)
    if top:  # a module-level function: also wherever another module imported it, under any name
        for m in list(sys.modules.values()):
            for attr, value in list(getattr(m, "__dict__", {}).items()):
                if value is fn:
                    setattr(m, attr, w)

missing = []
for label, alternatives in json.loads(targets):
    patch(label, alternatives, missing)
emod, efn = entry.split(":")
sys.argv = sys.argv[5:]
code, t1 = 0, time.perf_counter()
try:
    getattr(importlib.import_module(emod), efn)()
except SystemExit as exc:
    code = exc.code or 0
work = time.perf_counter() - t1
with open(out, "w") as fh:
    json.dump({"imports": imports, "work": work, "phases": totals, "code": code, "missing": missing}, fh)
"""

# (label, "module:qualname", alternatives after "|": the first that exists is timed). A label starting
# with "  " is part of the one above. Names of the package layout of issue 10 first, then the older flat one.
DIGEST_PHASES = (
    ("read the config", "digest.app:load_config|digest.config:load_config"),
    ("fetch the feed (HTTP, 127.0.0.1)", "digest.sources.fetch:fetch_url|digest.fetch:fetch_url"),
    ("parse the feed (feedparser + items)", "digest.sources.feed:parse_feed"),
    ("store: look up, append, index", "digest.ingest.diff:ingest_items|digest.store:Store.ingest"),
    ("rank the new papers for the run's report", "digest.app:_ranked|digest.app:report_for_results"),
    ("select and rank the unsent papers for the mail", "digest.mail.outbox:compose|digest.outbox:compose"),
    ("build the message", "digest.mail.message:build_message|digest.mail:build_message"),
    ("  of which the text part", "digest.render.text:render_text"),
    ("  of which the HTML part", "digest.render.html:render_html"),
    ("hand it to sendmail (the stand-in)", "digest.mail.transport:deliver|digest.mail:deliver"),
    ("append events (baseline, sent)", "digest.store:Store.append_events"),
    ("store lock and index check (enter)", "digest.store:Store.__enter__"),
    ("store close (exit)", "digest.store:Store.__exit__"),
)
RSS2EMAIL_PHASES = (
    ("read the config and the data file (JSON)", "rss2email.feeds:Feeds.load"),
    ("fetch + parse the feed (feedparser)", "rss2email.feed:Feed._fetch"),
    ("make one message per new entry (html2text, MIME)", "rss2email.feed:Feed._process_entry"),
    ("build and send the digest (flatten, sendmail)", "rss2email.feed:Feed._send_digest"),
    ("save the data file (JSON, fsync)", "rss2email.feeds:Feeds.save_feeds"),
)


def _importtime(args: list[str], env: dict) -> tuple[dict[str, float], list[str]]:
    """Self time of imports in ms by top-level package (``python -X importtime``), and the
    modules in the order they finished loading."""
    p = subprocess.run(args, env=dict(env, PYTHONPROFILEIMPORTTIME="1"), capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"profiled command failed ({p.returncode}): {' '.join(args)}\n{p.stderr[-2000:]}")
    groups: dict[str, float] = {}
    order: list[str] = []
    for line in p.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line[len("import time:"):].split("|")
        name = name.strip()
        order.append(name)
        groups[name.split(".")[0]] = groups.get(name.split(".")[0], 0.0) + int(self_us) / 1000
    return groups, order


def _phases(python: str, entry: str, argv: list[str], modules: list[str], targets, env: dict,
            work: Path, reset, runs: int) -> dict[str, float]:
    """Seconds per phase of the real command (the run of median total), run in a harness that first imports what the
    command imports (so imports are one figure and the phases are work alone) and times the named
    functions with perf_counter."""
    (work / "modules.txt").write_text("\n".join(modules) + "\n")
    samples: list[dict[str, float]] = []
    for _ in range(runs):
        reset()
        out = work / "phases.json"
        subprocess.run([python, "-c", PHASE_HARNESS, str(out), str(work / "modules.txt"), json.dumps(targets),
                        entry, *argv], env=env, check=True, capture_output=True)
        res = json.loads(out.read_text())
        if res["code"]:
            raise SystemExit(f"profiled command exited {res['code']}: {' '.join(argv)}")
        if res["missing"]:
            print(f"# profile: not found, so not timed: {', '.join(res['missing'])}", file=sys.stderr)
        samples.append({"imports": res["imports"], "work": res["work"], **res["phases"]})
    # the run of median total time, whole: medians taken phase by phase would not add up
    samples.sort(key=lambda s: s["imports"] + s["work"])
    return samples[len(samples) // 2]


def _show_imports(label: str, groups: dict[str, float], top: int = 10) -> None:
    total = sum(groups.values())
    print(f"\n{label}: imports {total:.0f} ms under -X importtime (self time by top-level package)")
    for name, ms in sorted(groups.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {ms:6.1f} ms  {name}")


def _show_phases(label: str, ph: dict[str, float], targets, start_s: float) -> None:
    total = start_s + ph["imports"] + ph["work"]
    print(f"\n{label}: {total * 1000:.0f} ms in all (wall time; the harness run of median total; load {load()})")
    rows = [("interpreter start-up (python -c pass)", start_s), ("imports", ph["imports"])]
    rows += [(lbl, ph.get(lbl, 0.0)) for lbl, _ in targets]
    top_level = sum(ph.get(lbl, 0.0) for lbl, _ in targets if not lbl.startswith(" "))
    rows.append(("everything else (option parsing, glue, exit)", ph["work"] - top_level))
    for lbl, sec in rows:
        print(f"  {sec * 1000:7.1f} ms  {sec / total * 100:4.0f} %  {lbl}")


def profile(bench: Bench, n: int, start_s: float, runs: int = 5) -> None:
    """Where each tool spends its time at history size N: imports by package, then per phase."""
    env = bench.env
    bench.digest_ready(n)
    dg_args = bench.digest_args(n)[len(bench.dg):]
    groups, dg_mods = _importtime([sys.executable, "-m", "digest", *dg_args], env)
    _show_imports(f"digest run --email, {n:,} seen", groups)

    def r2e_reset() -> None:
        shutil.copyfile(bench.data / f"rss2email-{n}.json", bench.r2e_state)

    r2e_py = str(VENV / "bin" / "python")
    r2e_reset()
    groups, r2e_mods = _importtime([r2e_py, str(bench.r2e), *bench.r2e_args()[1:]], env)
    _show_imports(f"rss2email run, {n:,} seen", groups)

    ph = _phases(sys.executable, "digest.cli:cli", ["digest", *dg_args], dg_mods, DIGEST_PHASES, env, bench.work,
                 lambda: bench.digest_ready(n), runs)
    _show_phases(f"digest run --email, {n:,} seen", ph, DIGEST_PHASES, start_s)
    ph = _phases(r2e_py, "rss2email.main:run", ["r2e", *bench.r2e_args()[1:]], r2e_mods, RSS2EMAIL_PHASES, env,
                 bench.work, r2e_reset, runs)
    _show_phases(f"rss2email run, {n:,} seen", ph, RSS2EMAIL_PHASES, start_s)
    bench.digest_ready(n)


# --------------------------------------------------------------------------- report
def editable_install() -> bool:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        direct = distribution("digest").read_text("direct_url.json") or "{}"
    except PackageNotFoundError:
        return False
    return bool(json.loads(direct).get("dir_info", {}).get("editable"))


def fmt_ms(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 10 else f"{s:.1f} s"


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def print_table(results: list[tuple[int, Series, Series]], floors: list[Series], markdown: bool) -> None:
    rows = []
    for n, r2e, dg in results:
        for s in (r2e, dg):
            lo, hi = s.spread("wall")
            ratio = (f"{dg.median('wall') / r2e.median('wall'):.2f}×", f"{dg.median('cpu') / r2e.median('cpu'):.2f}×") \
                if s is dg else ("", "")
            rows.append((f"{n:,}", s.name, fmt_ms(s.median("wall")), f"{fmt_ms(lo)}–{fmt_ms(hi)}",
                         fmt_ms(s.median("cpu")), f"{s.rss:.0f} MB", *ratio))
    for s in floors:
        lo, hi = s.spread("wall")
        rows.append(("—", s.name, fmt_ms(s.median("wall")), f"{fmt_ms(lo)}–{fmt_ms(hi)}",
                     fmt_ms(s.median("cpu")), f"{s.rss:.0f} MB", "", ""))
    head = ("seen", "command", "wall (median)", "wall (min–max)", "CPU user+sys (median)", "peak RSS",
            "digest/rss2email wall", "digest/rss2email CPU")
    print_grid(head, rows, markdown, left=2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="seen entries, comma-separated")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per tool and size (default 5)")
    ap.add_argument("--quick", action="store_true", help="smoke test: 1,000 seen entries, 1 run")
    ap.add_argument("--data", type=Path, default=HERE / "data" / "peers", help="where the synthetic data goes")
    ap.add_argument("--max-items", type=int, default=FEED_ITEMS,
                    help=f"digest's [email] max_items (default {FEED_ITEMS}: every new entry, as rss2email mails)")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown (for RESULTS.md)")
    ap.add_argument("--profile", action="store_true", help="then profile both tools at the largest size")
    ap.add_argument("--prepare", type=int, help=argparse.SUPPRESS)  # internal: build the data of one size
    args = ap.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    if args.prepare:
        prepare_size(args.data, args.prepare)
        return
    sizes = [1_000] if args.quick else [int(x) for x in args.sizes.split(",") if x]
    runs = 1 if args.quick else args.runs

    r2e = ensure_rss2email()
    body, titles = feed_bytes(args.data)
    for n in sizes:  # in a child process, so this one stays small (a child's peak RSS starts from it)
        subprocess.run([sys.executable, __file__, "--data", str(args.data), "--prepare", str(n)], check=True)
    version = subprocess.run([str(r2e), "--version"], capture_output=True, text=True).stdout.strip()
    print(f"# peers: {version} vs digest, {FEED_ITEMS} new entries, {runs} runs per tool and size; "
          f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, {date.today()}", flush=True)
    if editable_install():
        print("# note: digest is an editable install here (its import hook costs a few ms per command); "
              "RESULTS.md figures come from `pip install .`", flush=True)
    load_before = load()
    print(f"# load average (1/5/15 min) before: {load_before}", flush=True)

    bench = Bench(args.data, body, titles, r2e, args.max_items)
    try:
        results = []
        for n in sizes:
            a, b = Series("rss2email (digest mode)"), Series(f"digest run --email (max_items {args.max_items})")
            bench.rss2email(n), bench.digest(n)  # warm-up: bytecode, page cache (checked, not timed)
            for _ in range(runs):  # interleaved: A B A B ...
                a.samples.append(bench.rss2email(n))
                b.samples.append(bench.digest(n))
            bench.digest_ready(n)  # leave the store as prepared
            results.append((n, a, b))
            print(f"# {n:,} seen: rss2email {fmt_ms(a.median('wall'))}, digest {fmt_ms(b.median('wall'))} "
                  f"(load {load()})", file=sys.stderr, flush=True)
        floors = bench.floors(max(runs, 2) * 2 if not args.quick else 1)
        print(f"# load average after: {load()}")
        print(f"# every run checked: one fetch, one message naming all {FEED_ITEMS} new entries "
              f"(digest's: the best {min(args.max_items, FEED_ITEMS)}, max_items = {args.max_items})")
        print_table(results, floors, args.markdown)
        if args.profile:
            profile(bench, sizes[-1], floors[0].median("wall"))
    finally:
        bench.close()


if __name__ == "__main__":
    main()
