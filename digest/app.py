"""The operations behind the commands, without click.

``digest.cli`` parses options and calls these; they return data (reports,
results) and raise :class:`digest.errors.DigestError` subclasses. Nothing here
prints or exits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from digest import paths
from digest.config import Config, load_config
from digest.errors import DigestError, InputError
from digest.report import Report, SourceLine
from digest.scoring import Scored, Scorer
from digest.store import IngestResult, Store

if TYPE_CHECKING:  # the pipeline (and its imports) loads only for commands that ingest
    from digest.pipeline import SourceRun


@dataclass
class Context:
    """What every command needs: where the config and the store are."""

    config_path: Path | None = None  # explicit --config / DIGEST_CONFIG
    store_path: Path | None = None  # explicit --store
    _config: Config | None = None
    _stores: list = field(default_factory=list)

    @property
    def config(self) -> Config:
        if self._config is None:
            import os

            explicit = self.config_path is not None or bool(os.environ.get("DIGEST_CONFIG"))
            self._config = load_config(paths.config_path(self.config_path), explicit=explicit)
        return self._config

    def store(self) -> Store:
        store = Store(paths.store_dir(self.store_path), lock_timeout=self.config.lock_timeout)
        self._stores.append(store)
        return store

    def store_warnings(self) -> list[str]:
        """What the stores opened so far had to say (a torn line repaired, damaged lines set aside),
        for the commands that print no report."""
        return list(dict.fromkeys(w for s in self._stores for w in s.warnings))


def scorer_for(cfg: Config, store: Store | None = None) -> Scorer:
    extra = []
    if store is not None and cfg.similarity.get("tags"):
        try:
            from digest.similarity import similarity_boost
        except ImportError:  # pragma: no cover - until the reading list lands
            similarity_boost = None
        if similarity_boost is not None:
            fn = similarity_boost(store, cfg)
            if fn is not None:
                extra.append(fn)
    return Scorer.from_config(cfg, extra=extra)


def tags_for(store: Store, ids: list[str]) -> dict[str, list[str]]:
    try:
        from digest.readinglist import tags_by_id
    except ImportError:  # pragma: no cover - until the reading list lands
        return {}
    return tags_by_id(store, ids)


# --------------------------------------------------------------------------- reading list
def tag(ctx: Context, prefixes: list[str], tags: list[str], *, remove: bool = False):
    """Add (or remove) tags on the papers named by id prefixes: list of readinglist.Change."""
    from digest import readinglist

    return readinglist.set_tags(ctx.store(), prefixes, tags, remove=remove)


def note(ctx: Context, prefix: str, text: str | None, *, clear: bool = False):
    """Attach a note (text), clear the notes (clear) or read them (neither):
    ``(Change or None, current notes)``."""
    from digest import readinglist

    store = ctx.store()
    change = None
    if clear:
        change = readinglist.clear_notes(store, prefix)
    elif text is not None:
        change = readinglist.add_note(store, prefix, text)
    item_id = change.id if change else store.resolve(prefix)
    return change, readinglist.ReadingList.load(store).notes_of(item_id)


def all_tags(ctx: Context) -> dict[str, int]:
    from digest.readinglist import all_tags as _all

    return _all(ctx.store())


def reading_list(ctx: Context, *, tags: list[str] = (), untagged: bool = False, search: list[str] = (),
                 since: str | None = None, sort: str = "newest"):
    """The filtered, sorted reading list (readinglist.Entry) and the store's warnings."""
    from digest import readinglist

    store = ctx.store()
    scorer = scorer_for(ctx.config, store) if sort == "score" else None
    entries = readinglist.select(store, tags=tags, untagged=untagged, search=search, since=since,
                                 sort=sort, scorer=scorer)
    return entries, list(store.warnings)


def paper_link(ctx: Context, prefix: str) -> tuple[dict, str]:
    """The paper and the link ``digest open`` opens: its page, else its arXiv page, else an
    arXiv search for its title (a Daily Papers page names no link)."""
    from urllib.parse import urlencode

    from digest.identity import arxiv_abs_url
    from digest.render import paper_url

    store = ctx.store()
    rec = store.get(store.resolve(prefix))
    url = paper_url(rec) or (arxiv_abs_url(rec["arxiv_id"]) if rec.get("arxiv_id") else None)
    if url is None:
        query = urlencode({"query": rec.get("title") or "", "searchtype": "title"})
        url = f"https://arxiv.org/search/?{query}"
    return rec, url


# --------------------------------------------------------------------------- ingest / parse
def parse_inputs(specs: list[str], *, kind: str | None, ref_date: date | None,
                 stdin: BinaryIO | None = None, timeout: float = 30.0):
    """Yield ``(name, ParseResult or None, error or None)`` for each input."""
    from digest.pipeline import expand, parse_input

    for spec in specs:
        names = expand(spec)
        if not names:
            yield spec, None, f"{spec}: no files match"
            continue
        for name in names:
            try:
                yield name, parse_input(name, kind=kind, ref_date=ref_date, stdin=stdin, timeout=timeout), None
            except InputError as exc:
                yield name, None, str(exc)


def ingest(ctx: Context, specs: list[str], *, kind: str | None = None, ref_date: date | None = None,
           dry_run: bool = False, stdin: BinaryIO | None = None) -> tuple[list[IngestResult], list[str]]:
    from digest.pipeline import expand, ingest_inputs

    names: list[str] = []
    missing: list[IngestResult] = []
    for spec in specs:
        found = expand(spec)
        if not found:
            missing.append(IngestResult(source=spec, error=f"{spec}: no files match"))
        names.extend(found)
    timeout = ctx.config.fetch_timeout
    store = ctx.store()
    with store:
        results = ingest_inputs(store, names, kind=kind, ref_date=ref_date, dry_run=dry_run,
                                stdin=stdin, timeout=timeout)
    return missing + results, store.warnings


# --------------------------------------------------------------------------- reports
def _source_lines(results: list[IngestResult]) -> list[SourceLine]:
    return [
        SourceLine(r.source, r.parsed, len(r.new), len(r.updated), len(r.unchanged),
                   errors=[r.error] if r.error else [])
        for r in results
    ]


def _runs_lines(runs: list[SourceRun]) -> list[SourceLine]:
    return [
        SourceLine(run.name, run.parsed, len(run.new), len(run.updated),
                   sum(len(r.unchanged) for r in run.results), run.skipped, run.errors)
        for run in runs
    ]


def rank(cfg: Config, store: Store, records: list[dict], *, limit: int | None,
         min_score: float | None) -> list[Scored]:
    scorer = scorer_for(cfg, store)
    return scorer.rank(records, limit=limit, min_score=min_score)


def _report(store: Store, entries: list[Scored], heading: str, *, pool: int, mode: str = "new",
            sources: list[SourceLine] | None = None, warnings: list[str] | None = None) -> Report:
    """A Report of ranked entries, with the tags of the papers it shows."""
    report = Report(entries, heading, mode=mode, pool=pool, sources=sources or [],
                    warnings=list(store.warnings) if warnings is None else warnings,
                    date=date.today().isoformat())
    report.tags = tags_for(store, [s.record["id"] for s in entries])
    return report


def show(ctx: Context, *, mode: str = "new", since: str | None = None, limit: int | None = None,
         min_score: float | None = None) -> Report:
    """The ranked digest of stored papers: the latest run's new papers, all, or since a date."""
    cfg = ctx.config
    store = ctx.store()
    limit = cfg.limit if limit is None else limit
    min_score = cfg.min_score if min_score is None else min_score
    if mode == "all":
        from digest.rescore import rank_all

        entries, pool = rank_all(store, scorer_for(cfg, store), limit=limit, min_score=min_score)
        return _report(store, entries, "All stored papers", pool=pool, mode=mode)
    if mode == "since":
        records = store.select("first_seen>=?", (since or "",))
        entries = rank(cfg, store, records, limit=limit, min_score=min_score)
        return _report(store, entries, f"Papers first seen since {since}", pool=len(records), mode=mode)
    run = store.latest_run()
    records = store.select("first_run=?", (run,)) if run else []
    entries = rank(cfg, store, records, limit=limit, min_score=min_score)
    first = entries[0].record.get("first_seen", "")[:10] if entries else ""
    return _report(store, entries, f"New papers{', ' + first if first else ''}", pool=len(records))


def report_for_results(ctx: Context, store: Store, lines: list[SourceLine], new: list[dict], *,
                       limit: int | None, min_score: float | None, warnings: list[str],
                       heading: str) -> Report:
    cfg = ctx.config
    limit = cfg.limit if limit is None else limit
    min_score = cfg.min_score if min_score is None else min_score
    entries = rank(cfg, store, new, limit=limit, min_score=min_score)
    return _report(store, entries, heading, pool=len(new), sources=lines, warnings=warnings)


def explain(ctx: Context, prefix: str) -> tuple[Scored, list[str]]:
    store = ctx.store()
    item_id = store.resolve(prefix)
    rec = store.get(item_id)
    if rec is None:  # pragma: no cover - resolve() found it
        raise DigestError(f"no item with id {prefix!r}")
    scored = scorer_for(ctx.config, store).score(rec)
    return scored, tags_for(store, [item_id]).get(item_id, [])


@dataclass
class RunOutcome:
    report: Report
    store: Store
    runs: list[SourceRun] = field(default_factory=list)
    failed: bool = False  # a source failed (the others were still processed)


def run(ctx: Context, *, ref_date: date | None = None, limit: int | None = None,
        min_score: float | None = None, only: list[str] | None = None, force: bool = False,
        dry_run: bool = False) -> RunOutcome:
    """Fetch and ingest the configured sources, then rank what is new."""
    from digest.pipeline import run_sources

    cfg = ctx.config
    if not cfg.sources:
        raise DigestError(
            f"no sources configured in {cfg.path}: add a [sources.NAME] table with a path or url "
            "(see `digest config show`), or use `digest ingest PATH`"
        )
    store = ctx.store()
    with store:
        runs = run_sources(store, cfg, ref_date=ref_date, only=only, force=force, dry_run=dry_run)
    new = [r for run_ in runs for r in run_.new]
    warnings = list(store.warnings)
    for run_ in runs:
        warnings.extend(run_.warnings)
        warnings.extend(f"{run_.name}: {e}" if not e.startswith(run_.name) else e for e in run_.errors)
        if run_.stale_warning:
            warnings.append(run_.stale_warning)
    report = report_for_results(ctx, store, _runs_lines(runs), new, limit=limit, min_score=min_score,
                                warnings=warnings, heading=f"New papers, {date.today().isoformat()}")
    return RunOutcome(report, store, runs, failed=any(r.errors for r in runs))


def demo(*, limit: int | None = None, min_score: float | None = None) -> Report:
    """Ingest the sample dump shipped with digest into a throw-away store and rank it
    with the built-in default config. Touches neither the user's store nor config."""
    from digest.pipeline import ingest_inputs

    from digest.config import load_config as _load

    import tempfile

    sample = paths.sample_dump_path()
    with tempfile.TemporaryDirectory(prefix="digest-demo-") as tmp:
        ctx = Context(config_path=None, store_path=Path(tmp))
        ctx._config = _load(paths.default_config_path())
        store = ctx.store()
        with store:
            results = ingest_inputs(store, [str(sample)], ref_date=date.today())
        res = results[0]
        if res.error:
            raise DigestError(res.error)
        res.source = "sample dump (built in)"
        report = report_for_results(ctx, store, _source_lines(results), res.new, limit=limit,
                                    min_score=min_score, warnings=res.warnings,
                                    heading="digest demo: the built-in sample dump")
        store.close()
    return report


# --------------------------------------------------------------------------- email
def email(ctx: Context, *, dry_run: bool = False, to_file: str | None = None, limit: int | None = None,
          min_score: float | None = None, sources: list[SourceLine] | None = None,
          warnings: list[str] | None = None):
    """Email the digest of the papers not emailed yet; see :mod:`digest.outbox`.

    Returns an :class:`digest.outbox.EmailOutcome`; raises DeliveryError (nothing
    marked as emailed), ConfigError, or StoreBusy."""
    from digest.outbox import email_digest

    return email_digest(ctx, dry_run=dry_run, to_file=to_file, limit=limit, min_score=min_score,
                        sources=sources, warnings=warnings)
