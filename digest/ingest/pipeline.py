"""The daily pipeline: read inputs, parse them, diff them into the store.

Inputs are files, directories (their files), globs, ``-`` (standard input) or
http(s) URLs. Each input is handled on its own: a broken one is reported as
that input's error and the others still go in. Configured sources
(``[sources.NAME]`` in config.toml) remember what they fetched (ETag and
Last-Modified per URL, size and mtime per file) so an unchanged input costs
nothing, and their health (last success, last new item, last error) so the
digest can warn about a source that has gone quiet.
"""

from __future__ import annotations

import glob
import os
import sys
from dataclasses import field
from datetime import date, datetime, timedelta, timezone
from typing import BinaryIO

from digest.config import Config, Source
from digest.dates import parse_utc
from digest.errors import DigestError, InputError, named
from digest.feedback import QUIET, Feedback
from digest.ingest.diff import IngestResult, ingest_items
from digest.item import ParseResult
from digest.records import dataclass
from digest.store import Store
from digest.text import printable_name

MAX_INPUT_BYTES = 256 * 2**20  # refuse a single input larger than this


def is_url(spec: str) -> bool:
    return spec.lower().startswith(("http://", "https://"))


def source_label(name: str) -> str:
    """How an input is named in counts, warnings, errors and the records' ``sources``: ``<stdin>``
    for ``-``, else the name made printable (a file name is bytes: it may be no UTF-8, or hold
    escape sequences and newlines), a URL with any password in it cut out. The name itself is kept
    for opening the file or the URL."""
    if name == "-":
        return "<stdin>"
    return printable_name(_shown_url(name) if is_url(name) else name)


def _shown_url(url: str) -> str:
    from digest.sources.fetch import redact_url

    return redact_url(url)


def expand(spec: str, feedback: Feedback = QUIET) -> list[str]:
    """A path spec as the list of input names it stands for: a directory stands for every file
    in it and its subfolders (hidden files and folders skipped), a glob for the files it
    matches (``**`` spans folders), in sorted order."""
    if spec == "-" or is_url(spec):
        return [spec]
    path = os.path.expanduser(spec)
    if glob.has_magic(path):
        matches = sorted(p for p in glob.glob(path, recursive=True) if os.path.isfile(p))
        return matches
    if os.path.isdir(path):
        found: list[str] = []
        for top, dirs, files in os.walk(path):
            for hidden in sorted(x for x in dirs + files if x.startswith(".")):
                feedback.log(f"{os.path.join(top, hidden)}: skipped (hidden)")
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for f in files:
                full = os.path.join(top, f)
                if f.startswith("."):
                    continue
                if os.path.isfile(full):
                    found.append(full)
                else:
                    feedback.log(f"{full}: skipped (not a regular file)")
        return sorted(found)
    return [path]


def nothing_found(spec: str) -> str:
    """Why :func:`expand` found no input for ``spec`` (a directory or a glob)."""
    if os.path.isdir(os.path.expanduser(spec)):
        return "no files in this directory or its subfolders (hidden files are skipped)"
    return "no files match"


def read_bytes(name: str, stdin: BinaryIO | None = None) -> tuple[bytes, date | None]:
    """The bytes of a file or of stdin, and the file's modification date."""
    if name == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        data = stream.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise InputError(f"input larger than {MAX_INPUT_BYTES // 2**20} MB", path="<stdin>")
        return data, None
    try:
        st = os.stat(name)
        if not os.path.isfile(name):
            raise InputError("not a regular file", path=name)
        if st.st_size > MAX_INPUT_BYTES:
            raise InputError(f"input larger than {MAX_INPUT_BYTES // 2**20} MB", path=name)
        with open(name, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise InputError("no such file", path=name) from None
    except IsADirectoryError:
        raise InputError("is a directory", path=name) from None
    except PermissionError:
        raise InputError("permission denied", path=name) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=name) from None
    return data, datetime.fromtimestamp(st.st_mtime).date()


def parse(data: bytes, *, source: str, kind: str | None, ref_date: date) -> ParseResult:
    from digest.sources.detect import parse_bytes

    result = parse_bytes(data, source=source, kind=kind, ref_date=ref_date)
    # every warning names its input, whichever parser wrote it
    result.warnings = [named(source, w) for w in result.warnings]
    return result


def parse_input(name: str, *, kind: str | None = None, ref_date: date | None = None,
                stdin: BinaryIO | None = None, timeout: float = 30.0,
                user_agent: str | None = None, feedback: Feedback = QUIET) -> ParseResult:
    """Read and parse one input (file, ``-`` or URL)."""
    source = source_label(name)
    if is_url(name):
        from digest.sources.fetch import fetch_url

        res = fetch_url(name, timeout=timeout, user_agent=user_agent)
        data, mdate = res.body or b"", None
        feedback.log(f"{source}: fetched (HTTP {res.status}, {len(data):,} bytes)")
    else:
        data, mdate = read_bytes(name, stdin)
        feedback.log(f"{source}: read {len(data):,} bytes")
    parsed = parse(data, source=source, kind=kind, ref_date=ref_date or mdate or date.today())
    how = "as given by --kind" if kind else "detected from the content"
    feedback.log(f"{source}: {parsed.kind} ({how}), {len(parsed.items)} papers")
    return parsed


def ingest_inputs(store: Store, names: list[str], *, kind: str | None = None,
                  ref_date: date | None = None, dry_run: bool = False,
                  stdin: BinaryIO | None = None, timeout: float = 30.0,
                  user_agent: str | None = None, feedback: Feedback = QUIET) -> list[IngestResult]:
    """Parse and ingest each input; the store lock must be held."""
    results = []
    for i, name in enumerate(names):
        if len(names) > 1:
            feedback.progress("inputs", i, len(names))
        source = source_label(name)
        try:
            parsed = parse_input(name, kind=kind, ref_date=ref_date, stdin=stdin, timeout=timeout,
                                 user_agent=user_agent, feedback=feedback)
            res = ingest_items(store, parsed.items, source=source, dry_run=dry_run, feedback=feedback,
                               merged=parsed.merged)
            res.warnings.extend(parsed.warnings)
        except InputError as exc:
            res = IngestResult(source=source, error=str(exc))
        results.append(res)
    feedback.finished("inputs")
    return results


# --------------------------------------------------------------------------- configured sources
@dataclass
class SourceRun:
    name: str
    results: list[IngestResult] = field(default_factory=list)
    error: str | None = None
    skipped: int = 0  # inputs unchanged since last time (304 or same size/mtime)
    stale_warning: str | None = None
    note: str | None = None  # why nothing new was expected (the source's calendar)

    @property
    def new(self) -> list[dict]:
        return [r for res in self.results for r in res.new]

    @property
    def updated(self) -> list[dict]:
        return [r for res in self.results for r in res.updated]

    @property
    def parsed(self) -> int:
        return sum(r.parsed for r in self.results)

    @property
    def errors(self) -> list[str]:
        errs = [self.error] if self.error else []
        return errs + [r.error for r in self.results if r.error]

    @property
    def warnings(self) -> list[str]:
        return [w for r in self.results for w in r.warnings]


def run_sources(store: Store, cfg: Config, *, ref_date: date | None = None,
                only: list[str] | None = None, force: bool = False, feedback: Feedback = QUIET,
                clock: datetime | None = None) -> list[SourceRun]:
    """Fetch and ingest every configured source (lock held). Never raises for one
    source's failure: it is recorded in that source's :class:`SourceRun`. ``clock``: the time
    of the run (now), for the sources' calendars."""
    state = _checked_state(store)
    sstate = state["sources"]
    runs = []
    clock = clock or datetime.now(timezone.utc)
    now = clock.strftime("%Y-%m-%dT%H:%M:%SZ")
    for src in cfg.sources:
        if not src.enabled:
            feedback.log(f"{src.name}: skipped (enabled = false)")
            continue
        if only and src.name not in only:
            feedback.log(f"{src.name}: skipped (not named by --source)")
            continue
        st = sstate.setdefault(src.name, {})
        run = SourceRun(src.name)
        try:
            if src.url:
                _run_url(store, src, st, run, cfg, ref_date, force, feedback)
            else:
                _run_path(store, src, st, run, ref_date, force, feedback)
        except DigestError as exc:
            run.error = str(exc)
        st["last_attempt"] = now
        if run.errors:
            st["last_error"] = run.errors[0]
            st["last_error_at"] = now
        else:
            st["last_ok"] = now
            st.pop("last_error", None)
            st.pop("last_error_at", None)
        previous_new = st.get("last_new")
        if run.new:
            st["last_new"] = now
        st.setdefault("first_run", now)
        verdict = None
        if not run.new and not run.errors:
            verdict = _calendar(src, st, previous_new, clock)
        if verdict is None:
            run.stale_warning = _stale(src.name, st, cfg.stale_days, now)
        elif verdict.stale:
            run.stale_warning = f"{src.name}: {verdict.text}"
        else:
            run.note = verdict.text
        runs.append(run)
    store.write_state(state)
    return runs


# What state.json holds per source (this module owns its content): key -> the types allowed.
_STATE_TYPES: dict[str, tuple[type, ...]] = {
    "etag": (str, type(None)), "last_modified": (str, type(None)), "last_error": (str,),
    "last_attempt": (str,), "last_ok": (str,), "last_error_at": (str,), "last_new": (str,), "first_run": (str,),
    "batch": (str,), "files": (dict,),
}


def _checked_state(store: Store) -> dict:
    """state.json with every part of the wrong shape dropped (one warning says which): a source
    entry that is not an object, a validator or time that is not a string, a file signature that
    is not [size, mtime_ns]. What is dropped is only fetched or read again."""
    state = store.read_state()
    bad: list[str] = []
    sources = state.get("sources", {})
    if not isinstance(sources, dict):
        bad.append("sources")
        sources = {}
    for name, st in list(sources.items()):
        if not isinstance(st, dict):
            bad.append(f"sources.{name}")
            del sources[name]
            continue
        for key, types in _STATE_TYPES.items():
            if key in st and not isinstance(st[key], types):
                bad.append(f"sources.{name}.{key}")
                del st[key]
        files = st.get("files", {})
        for path, sig in list(files.items()):
            if not (isinstance(sig, list) and len(sig) == 2 and all(type(x) is int for x in sig)):
                bad.append(f"sources.{name}.files")
                del files[path]
    if bad:
        shown = ", ".join(dict.fromkeys(printable_name(b) for b in bad))
        store.state_warning(f"wrong shape ({shown[:200]})")
    state["sources"] = sources
    return state


def _run_url(store: Store, src: Source, st: dict, run: SourceRun, cfg: Config, ref_date: date | None,
             force: bool, feedback: Feedback = QUIET) -> None:
    from digest.sources.fetch import fetch_url

    res = fetch_url(
        src.url or "",
        timeout=cfg.fetch_timeout,
        user_agent=cfg.user_agent,
        etag=None if force else st.get("etag"),
        last_modified=None if force else st.get("last_modified"),
    )
    if res.not_modified:
        feedback.log(f"{src.name}: {_shown_url(src.url or '')}: not modified since the last fetch (HTTP 304), skipped")
        run.skipped += 1
        return
    shown = _shown_url(src.url or "")
    feedback.log(f"{src.name}: {shown}: fetched (HTTP {res.status}, {len(res.body or b''):,} bytes)")
    parsed = parse(res.body or b"", source=src.name, kind=src.kind, ref_date=ref_date or date.today())
    feedback.log(f"{src.name}: {parsed.kind}, {len(parsed.items)} papers")
    batch = max((it.published for it in parsed.items if it.published), default=None)
    if batch:
        st["batch"] = batch  # the newest date the source serves (its calendar compares it)
    ing = ingest_items(store, parsed.items, source=src.name, feedback=feedback, merged=parsed.merged)
    ing.warnings.extend(parsed.warnings)
    run.results.append(ing)
    # remember validators only once the content is safely stored
    st["etag"] = res.etag
    st["last_modified"] = res.last_modified


def _run_path(store: Store, src: Source, st: dict, run: SourceRun, ref_date: date | None, force: bool,
              feedback: Feedback = QUIET) -> None:
    names = expand(src.path or "", feedback)
    if not names:
        raise InputError(nothing_found(src.path or ""), path=src.path)
    seen = st.setdefault("files", {})
    for name in names:
        try:
            stt = os.stat(name)
        except OSError:
            stt = None
        sig = [stt.st_size, stt.st_mtime_ns] if stt else None
        if not force and sig and seen.get(name) == sig:
            feedback.log(f"{src.name}: {name}: skipped (unchanged since it was read: same size and "
                         "modification time; --force reads it again)")
            run.skipped += 1
            continue
        try:
            parsed = parse_input(name, kind=src.kind, ref_date=ref_date, feedback=feedback)
            ing = ingest_items(store, parsed.items, source=src.name, feedback=feedback, merged=parsed.merged)
            ing.warnings.extend(parsed.warnings)
            if sig:
                seen[name] = sig
        except InputError as exc:
            ing = IngestResult(source=source_label(name), error=str(exc))
        run.results.append(ing)


def _calendar(src: Source, st: dict, last_new: str | None, clock: datetime):
    """What the source's calendar says about it giving nothing new (None: it has none)."""
    from digest.sources import calendar

    schedule = calendar.schedule_of(src.url, src.kind, src.calendar)
    if schedule is None:
        return None
    served = last = None
    try:
        if schedule == "arxiv" and isinstance(st.get("batch"), str):
            served = date.fromisoformat(st["batch"][:10])
        if isinstance(last_new, str):
            last = parse_utc(last_new)
    except ValueError:  # a hand-edited state.json: it is only a cache
        pass
    return calendar.explain_nothing_new(schedule, clock, served=served, last_new=last)


def _stale(name: str, st: dict, stale_days: int, now: str) -> str | None:
    if stale_days <= 0:
        return None
    ref = st.get("last_new") or st.get("first_run")
    if not ref:
        return None
    try:
        then = parse_utc(ref)
        cur = parse_utc(now)
    except ValueError:
        return None
    days = (cur - then) / timedelta(days=1)
    if days >= stale_days:
        return f"source {name!r} has given nothing new for {int(days)} days"
    return None


# --------------------------------------------------------------------------- digest config check
@dataclass
class SourceCheck:
    """What ``digest config check`` found about one configured source."""

    name: str
    where: str  # its path or URL
    ok: bool
    status: str  # "12 files, all readable", "reachable (HTTP 200, 48,213 bytes, feed)", "fetch failed: ..."
    enabled: bool = True
    last_new: str | None = None  # state.json: when it last gave something new
    last_error: str | None = None  # state.json: the last run's error, if the last run failed
    calendar: str | None = None  # what its calendar says now (no announcement expected / stale)


def check_sources(store: Store, cfg: Config, *, clock: datetime | None = None) -> list[SourceCheck]:
    """For each configured source: can it be read (files) or reached (URLs, a conditional GET
    with the validators the run keeps, so an unchanged feed answers 304), and what state.json
    says about it (the facts ``digest run`` uses). Reads, never writes: no lock, no state change."""
    clock = clock or datetime.now(timezone.utc)
    sstate = _checked_state(store)["sources"]
    out = []
    for src in cfg.sources:
        st = sstate.get(src.name, {})
        where = source_label(src.url) if src.url else src.path or ""
        ok, status = _probe_url(src, st, cfg) if src.url else _probe_path(src)
        verdict = _calendar(src, st, st.get("last_new"), clock) if st else None
        out.append(SourceCheck(
            src.name, where, ok, status, enabled=src.enabled,
            last_new=st.get("last_new") if isinstance(st.get("last_new"), str) else None,
            last_error=st.get("last_error") if isinstance(st.get("last_error"), str) else None,
            calendar=(("Warning: " if verdict.stale else "") + verdict.text) if verdict else None,
        ))
    return out


def _probe_path(src: Source) -> tuple[bool, str]:
    names = expand(src.path or "")
    if not names:
        return False, nothing_found(src.path or "")
    unreadable = [n for n in names if not (os.path.isfile(n) and os.access(n, os.R_OK))]
    if unreadable:
        return False, f"{len(unreadable)} of {len(names)} files unreadable (e.g. {unreadable[0]})"
    return True, f"{len(names)} file{'s' if len(names) != 1 else ''}, all readable"


def _probe_url(src: Source, st: dict, cfg: Config) -> tuple[bool, str]:
    from digest.sources.detect import detect_kind
    from digest.sources.fetch import fetch_url

    try:
        res = fetch_url(src.url or "", timeout=cfg.fetch_timeout, user_agent=cfg.user_agent,
                        etag=st.get("etag") if isinstance(st.get("etag"), str) else None,
                        last_modified=st.get("last_modified") if isinstance(st.get("last_modified"), str) else None)
    except InputError as exc:
        return False, str(exc).removeprefix(f"{source_label(src.url or '')}: ")
    if res.not_modified:
        return True, "reachable (HTTP 304: unchanged since the last run)"
    body = res.body or b""
    try:
        kind = src.kind or detect_kind(body, source=src.name)
    except InputError as exc:
        why = str(exc).removeprefix(src.name + ": ")
        return False, f"reachable (HTTP {res.status}, {len(body):,} bytes), but {why}"
    return True, f"reachable (HTTP {res.status}, {len(body):,} bytes, {kind})"
