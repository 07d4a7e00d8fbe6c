"""Helpers for the stress tests: run the installed ``digest`` in real subprocesses.

Nothing here is a test. Every helper works on an explicit store directory
(``DIGEST_HOME``) and config file, generates its inputs in a temporary
directory at test time (never committed), and checks the store only through
what a user has: the CLI (``digest show --all --format json``) and the plain
files (``items.jsonl``, ``events.jsonl``).

Knobs (environment variables), so that CI runs every kind of test quickly and
a long run replays the same tests at full size:

``DIGEST_STRESS_KILLS``  SIGKILLs per command in the kill tests (default 12;
                         the full run uses 50 or more)
``DIGEST_STRESS_SEED``   the seed of every random choice (default: a fresh
                         one, printed on failure so a run can be replayed)
``DIGEST_STRESS_MB``     size of the "200 MB dump" in MB (default 16)
``DIGEST_STRESS_FEED_ENTRIES``  entries of the "100,000-entry feed" (default 12,000)
``DIGEST_STRESS_LINE_MB``       size of the "single 50 MB line" (default 8)
``DIGEST_STRESS_EXAMPLES``      hypothesis examples per fuzz test (default 60)
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

# ---------------------------------------------------------------------------- knobs


def knob(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


KILLS = knob("DIGEST_STRESS_KILLS", 12)
BIG_MB = knob("DIGEST_STRESS_MB", 16)
FEED_ENTRIES = knob("DIGEST_STRESS_FEED_ENTRIES", 12_000)
LINE_MB = knob("DIGEST_STRESS_LINE_MB", 8)
EXAMPLES = knob("DIGEST_STRESS_EXAMPLES", 60)


def seed() -> int:
    raw = os.environ.get("DIGEST_STRESS_SEED", "")
    return int(raw) if raw.strip() else random.SystemRandom().randrange(2**32)


def replay(seed_: int) -> str:
    return f"(replay with DIGEST_STRESS_SEED={seed_})"


# ---------------------------------------------------------------------------- the command


def digest_exe() -> str:
    """The installed ``digest`` console script of the Python running the tests."""
    sibling = Path(sys.executable).parent / "digest"
    if sibling.exists():
        return str(sibling)
    found = shutil.which("digest")
    if not found:  # pragma: no cover - the package is installed for the tests
        raise RuntimeError("the digest command is not installed (pip install -e '.[test]')")
    return found


def env_for(home: Path, config: Path | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DIGEST_HOME"] = str(home)
    if config is not None:
        env["DIGEST_CONFIG"] = str(config)
    else:
        env.pop("DIGEST_CONFIG", None)
    for k in ("NO_COLOR", "FORCE_COLOR", "PYTHONWARNINGS"):
        env.pop(k, None)
    env["COLUMNS"] = "100"
    env["PYTHONHASHSEED"] = "0"
    env.update(extra)
    return env


def digest(home: Path, *args: str, config: Path | None = None, timeout: float = 120,
           input: bytes | None = None, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    """Run ``digest ARGS`` to completion; stdout and stderr as text."""
    e = env_for(home, config) if env is None else env
    proc = subprocess.run([digest_exe(), *args], env=e, input=input, capture_output=True,
                          timeout=timeout, **kw)
    proc.stdout = proc.stdout.decode("utf-8", "replace")
    proc.stderr = proc.stderr.decode("utf-8", "replace")
    return proc


def spawn(home: Path, *args: str, config: Path | None = None, env: dict | None = None,
          input: bytes | None = None) -> subprocess.Popen:
    """Start ``digest ARGS``; ``input`` (if any) is written to its stdin, which is then closed."""
    e = env_for(home, config) if env is None else env
    proc = subprocess.Popen([digest_exe(), *args], env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL)
    if input is not None:
        try:
            proc.stdin.write(input)
            proc.stdin.close()
        except BrokenPipeError:  # pragma: no cover - it died first
            pass
        proc.stdin = None  # (communicate() must not flush it)
    return proc


def kill_after(proc: subprocess.Popen, delay: float) -> tuple[bool, int, str]:
    """SIGKILL ``proc`` after ``delay`` seconds unless it finished first: (killed?, returncode, stderr).

    The pipes are drained by threads so that a chatty process never blocks on a full pipe."""
    chunks: list[bytes] = []
    readers = [threading.Thread(target=lambda f=f, keep=keep: (keep.append(f.read()) if keep is not None
                                                               else f.read()), daemon=True)
               for f, keep in ((proc.stdout, None), (proc.stderr, chunks))]
    for t in readers:
        t.start()
    try:
        proc.wait(timeout=delay)
        killed = False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed = True
    for t in readers:
        t.join(10)
    proc.stdout.close()
    proc.stderr.close()
    return killed, proc.returncode, b"".join(chunks).decode("utf-8", "replace")


# ---------------------------------------------------------------------------- store checks


def show_all(home: Path, config: Path | None = None) -> list[dict]:
    """Every stored paper through the CLI; fails the test unless it exits 0 with JSON."""
    r = digest(home, "show", "--all", "--unmatched", "--limit", "100000000", "--format", "json", config=config)
    assert r.returncode == 0, f"digest show --all failed ({r.returncode}): {r.stderr}"
    papers = json.loads(r.stdout)
    assert isinstance(papers, list)
    return papers


def jsonl_records(path: Path) -> list[dict]:
    """Every line of a JSONL file: valid JSON, newline-terminated (else an AssertionError)."""
    if not path.exists():
        return []
    data = path.read_bytes()
    assert not data or data.endswith(b"\n"), f"{path}: last line has no newline: {data[-80:]!r}"
    out = []
    for n, line in enumerate(data.split(b"\n")[:-1], 1):
        try:
            rec = json.loads(line)
        except ValueError:
            raise AssertionError(f"{path}:{n}: not a JSON line (interleaved or torn write?): {line[:200]!r}") from None
        assert isinstance(rec, dict), f"{path}:{n}: not an object"
        out.append(rec)
    return out


def tags_in(home: Path) -> set[tuple[str, str]]:
    """(id, tag) pairs currently applied according to events.jsonl."""
    state: set[tuple[str, str]] = set()
    for ev in jsonl_records(home / "events.jsonl"):
        kind = ev.get("type")
        if kind in ("tag", "untag"):
            (state.add if kind == "tag" else state.discard)((ev["id"], ev["tag"]))
    return state


def tags_via_cli(home: Path, config: Path | None = None) -> dict[str, list[str]]:
    """tag -> ids through ``digest list --format json`` (the user's view)."""
    r = digest(home, "list", "--format", "json", config=config)
    assert r.returncode == 0, r.stderr
    out: dict[str, list[str]] = {}
    for e in json.loads(r.stdout):
        for t in e.get("tags") or []:
            out.setdefault(t, []).append(e["id"])
    return out


# ---------------------------------------------------------------------------- inputs

_WORDS = (
    "diffusion transformer attention policy reward agent vision language graph sparse dense token "
    "retrieval scaling benchmark robust alignment reasoning robot planning control protein weather "
    "tabular ranking search translation safety privacy causal bayesian sampling denoising depth "
    "segmentation tracking rendering gaussian splatting quantization pruning distillation memory"
).split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n))


def dump_text(prefix: str, n: int, *, rng: random.Random | None = None, abstract_words: int = 60,
              page_date: str = "Nov 20", meta: bool = True) -> str:
    """A Daily Papers dump of ``n`` papers titled ``{prefix} {i}: ...`` (unique per prefix)."""
    rng = rng or random.Random(prefix)
    parts = ["new", "", "Daily Papers", "", "byAK and the research community", "", page_date, ""]
    for i in range(n):
        parts.append(f"{prefix} {i}: {sentence(rng, 5).title()}")
        parts.append("")
        parts.append(f"We study {sentence(rng, abstract_words)}.")
        parts.append("")
        if meta:
            parts += [f"  • {1 + i % 9} authors", "·", f"Nov {1 + i % 19}, 2025 {i % 50}", ""]
    return "\n".join(parts) + "\n"


def write_dump(path: Path, prefix: str, n: int, **kw) -> list[str]:
    """Write a dump; returns its titles."""
    path.write_text(dump_text(prefix, n, **kw), encoding="utf-8")
    return [f"{prefix} {i}:" for i in range(n)]


def write_big_dump(path: Path, megabytes: float, prefix: str = "Big") -> int:
    """A dump of about ``megabytes`` MB, written in pieces (the test's memory stays small)."""
    target = int(megabytes * 2**20)
    rng = random.Random(megabytes)
    abstract = [f"We study {sentence(rng, 140)}." for _ in range(64)]
    written = 0
    i = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("Daily Papers\n\nNov 20\n\n")
        while written < target:
            chunk = []
            for _ in range(1000):
                chunk.append(f"{prefix} paper number {i} on {_WORDS[i % len(_WORDS)]} methods\n\n"
                             f"{abstract[i % 64]} Run {i}.\n\n  • {1 + i % 9} authors\n·\nNov {1 + i % 19}, 2025 {i % 50}\n\n")
                i += 1
            s = "".join(chunk)
            fh.write(s)
            written += len(s)
    return i


def feed_entry(i: int, title: str, summary: str) -> str:
    return (f"<entry><id>http://arxiv.org/abs/2511.{i:05d}v1</id><title>{title}</title>"
            f"<summary>{summary}</summary><author><name>Ada Lovelace</name></author>"
            f"<published>2025-11-18T00:00:00Z</published></entry>\n")


def write_big_feed(path: Path, entries: int) -> None:
    """An Atom feed of ``entries`` entries (about 300 bytes each: 100,000 fit in 30 MB)."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
                 "<title>big</title>\n")
        rng = random.Random(entries)
        summary = f"We study {sentence(rng, 12)}."
        for i in range(entries):
            fh.write(feed_entry(i, f"Feed paper {i} on sparse methods", summary))
        fh.write("</feed>\n")


# ---------------------------------------------------------------------------- config


def write_config(path: Path, *, lock_timeout: float = 30, sources: dict | None = None,
                 email_port: int | None = None, extra: str = "") -> Path:
    lines = ["[interests]", '"diffusion" = 2.0', '"robot*" = 1.0', '"sparse" = 1.0', "",
             "[show]", "limit = 1000", "min_score = -1000", 'unmatched = "show"', "",  # every paper
             "[store]", f"lock_timeout = {lock_timeout}", "",
             "[fetch]", "timeout = 2", "stale_days = 0", ""]
    for name, spec in (sources or {}).items():
        lines.append(f"[sources.{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in spec.items()]
        lines.append("")
    if email_port is not None:
        lines += ["[email]", 'from = "digest <digest@example.org>"', 'to = ["me@example.org"]',
                  'host = "127.0.0.1"', f"port = {email_port}", 'security = "none"', "timeout = 10",
                  "max_items = 100000", "min_score = -1000", ""]
    path.write_text("\n".join(lines) + extra + "\n", encoding="utf-8")
    os.chmod(path, 0o600)
    return path


# ---------------------------------------------------------------------------- SMTP sink


class Sink:
    """A local SMTP server (aiosmtpd) that keeps every message it answered 250 to."""

    def __init__(self) -> None:
        self.messages: list[dict] = []  # {"message_id", "ids", "at"}
        self.lock = threading.Lock()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                       policy=email.policy.default)
        text = msg.get_body(("plain",)).get_content()
        ids = re.findall(r"\bid ([0-9a-f]{8})\b", text)
        with self.lock:
            self.messages.append({"message_id": str(msg["Message-ID"]), "ids": ids, "at": time.monotonic()})
        return "250 2.0.0 queued"

    def start(self) -> int:
        from aiosmtpd.controller import Controller

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=port)
        self.controller.start()
        return port

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def snapshot(self) -> list[dict]:
        with self.lock:
            return list(self.messages)


# ---------------------------------------------------------------------------- memory

# A tiny launcher: the measured command is forked from this small, freshly
# exec'd process, so its ru_maxrss is its own (a child forked or vforked by the
# big test process would report the test process's RSS at exec time).
LAUNCHER = r"""
import json, os, sys, time
argv = json.loads(sys.argv[1])
t0 = time.monotonic()
pid = os.posix_spawn(argv[0], argv, os.environ,
                     file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
_, status, ru = os.wait4(pid, 0)
print(json.dumps({"maxrss_kb": ru.ru_maxrss, "status": os.waitstatus_to_exitcode(status),
                  "seconds": time.monotonic() - t0}))
"""


def measure(argv: list[str], env: dict, timeout: float = 600) -> dict:
    """Run ``argv`` under the launcher (stdout discarded): exit code, peak RSS (MB), wall time, stderr."""
    out = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, json.dumps(argv)], env=env,
                         capture_output=True, timeout=timeout)
    line = out.stdout.decode().strip().splitlines()[-1]
    res = json.loads(line)
    res["rss_mb"] = res["maxrss_kb"] / 1024
    res["stderr"] = out.stderr.decode("utf-8", "replace")
    return res


def baseline_rss(home: Path, env: dict) -> float:
    """Peak RSS of a trivial digest command that loads the same modules (the fixed cost)."""
    return measure([digest_exe(), "parse", "--kind", "dump", os.devnull], env)["rss_mb"]


# ---------------------------------------------------------------------------- namespaces
# Root ignores file modes, so a read-only or full store is made for real: in a
# private mount namespace (``unshare -rm``, no privileges needed beyond user
# namespaces) the store is bind-mounted read-only, or is a tiny tmpfs.

NS_RUNNER = r"""
import json, os, shutil, subprocess, sys
spec = json.loads(sys.argv[1])
for m in spec.get("mounts", []):
    if m["type"] == "tmpfs":
        os.makedirs(m["path"], exist_ok=True)
        cmd = ["mount", "-t", "tmpfs", "-o", "size=" + m["size"], "tmpfs", m["path"]]
        subprocess.run(cmd, check=True)
    elif m["type"] == "ro-bind":
        subprocess.run(["mount", "--bind", m["path"], m["path"]], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", m["path"]], check=True)
results = []
for step in spec["steps"]:
    if "shell" in step:
        p = subprocess.run(step["shell"], shell=True, capture_output=True)
    else:
        p = subprocess.run(step["argv"], capture_output=True, env={**os.environ, **step.get("env", {})},
                           timeout=120)
    results.append({"rc": p.returncode, "stdout": p.stdout.decode("utf-8", "replace"),
                    "stderr": p.stderr.decode("utf-8", "replace")})
if spec.get("copy_to"):
    shutil.copytree(spec["copy_from"], spec["copy_to"], dirs_exist_ok=True)
print(json.dumps(results))
"""


def userns_available(tmp: Path) -> bool:
    probe = tmp / "userns-probe"
    probe.mkdir(exist_ok=True)
    if not shutil.which("unshare"):
        return False
    try:
        p = subprocess.run(["unshare", "-rm", "mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(probe)],
                           capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return p.returncode == 0


def in_namespace(spec: dict, env: dict) -> list[dict]:
    """Run ``spec`` (mounts, then steps) in a private user+mount namespace."""
    out = subprocess.run(["unshare", "-rm", sys.executable, "-c", NS_RUNNER, json.dumps(spec)],
                         capture_output=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")
    return json.loads(out.stdout)
