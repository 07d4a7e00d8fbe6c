"""The operations behind the commands, without click.

``digest.cli`` parses options and calls these; they return data (reports,
results) and raise :class:`digest.errors.DigestError` subclasses. Nothing here
prints or exits.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal

from digest import config as configmod
from digest import paths
from digest.config import Config
from digest.dates import day_start, local_day
from digest.errors import DigestError, InputError, NotFound, named
from digest.feedback import QUIET, Feedback
from digest.ranking.rank import build_report, can_match, rank_records, scorer_for, update_semantic_cache
from digest.ranking.report import Mode, Report, SourceLine
from digest.ranking.score import Hidden, Scored
from digest.records import dataclass
from digest.store import Store

if TYPE_CHECKING:  # the pipeline (and its imports) loads only for commands that ingest
    from digest.ingest.diff import IngestResult
    from digest.ingest.pipeline import SourceRun


def load_config(path: Path | None = None, *, explicit: bool = False) -> Config:
    """The config at ``path`` (see :func:`digest.config.load_config`), with the sections owned by
    higher layers checked by their owners, so every mistake is an error when the config loads."""
    return check_sections(configmod.load_config(path, explicit=explicit))


def check_sections(cfg: Config) -> Config:
    """Check the sections of ``cfg`` that higher layers own (config.OWNED), with their owners' rules."""
    check = configmod.Checker(cfg.path)
    if "email" in cfg.raw:
        from digest.mail.settings import check_email  # [email] keys, types, addresses, subject

        cfg.email = check_email(check, cfg.raw["email"])
    if "similarity" in cfg.raw:
        from digest.ranking.similarity import check_similarity  # [similarity] tags, ranges

        cfg.similarity = check_similarity(check, cfg.raw["similarity"])
    if "matching" in cfg.raw or "abbreviations" in cfg.raw:
        from digest.ranking.score import check_abbreviations, check_matching

        cfg.matching = check_matching(check, cfg.raw.get("matching", {}))
        cfg.abbreviations = check_abbreviations(check, cfg.raw.get("abbreviations", {}))
    if "learning" in cfg.raw:
        from digest.ranking.feedback import check_learning  # [learning] keys, tags, ranges

        cfg.learning = check_learning(check, cfg.raw["learning"])
    if "triage" in cfg.raw:
        from digest.triage.settings import check_triage  # [triage] keep_tag

        cfg.triage = check_triage(check, cfg.raw["triage"])
    if "semantic" in cfg.raw:
        from digest.ranking.semantic import check_semantic  # [semantic] keys, model, the extra installed

        cfg.semantic = check_semantic(check, cfg.raw["semantic"], cfg.path)
    return cfg


@dataclass
class Context:
    """What every command needs: where the config and the store are."""

    config_path: Path | None = None  # explicit --config / DIGEST_CONFIG
    store_path: Path | None = None  # explicit --store
    feedback: Feedback = QUIET  # progress, waits, and what -v shows
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
        store = Store(paths.store_dir(self.store_path), lock_timeout=self.config.lock_timeout,
                      origin=paths.store_origin(self.store_path), feedback=self.feedback)
        self._stores.append(store)
        return store

    def empty_store_hint(self) -> str | None:
        """A first-run hint when the store holds no paper yet (or the path is mistyped)."""
        store = self._stores[-1] if self._stores else self.store()
        return empty_store_hint(store)

    def store_warnings(self) -> list[str]:
        """What the stores opened so far had to say (a torn line repaired, damaged lines set aside),
        for the commands that print no report."""
        return list(dict.fromkeys(w for s in self._stores for w in s.warnings))


ADD_PAPERS = "add papers with `digest ingest FILE` or `digest run`; `digest run --demo` shows a sample"
DEMO_NEXT = ("that was the built-in sample, in a throw-away store. Next: `digest config init` for a config of "
             "your own (interests, sources), then `digest ingest FILE` or `digest run`")


def empty_store_hint(store: Store) -> str | None:
    """What to do when the store holds no paper: it does not exist (a mistyped --store or
    DIGEST_HOME?) or it is empty."""
    try:
        if store.items_path.stat().st_size > 0:
            return None
    except OSError:
        pass
    if not store.root.exists():
        where = f" (is {store.origin} right?)" if store.origin else ""
        return f"no store at {store.root} yet{where}: {ADD_PAPERS}"
    return f"the store {store.root} is empty: {ADD_PAPERS}"


@contextmanager
def _hinting(ctx: Context):
    """An unknown id in an empty store says how to add papers."""
    try:
        yield
    except NotFound as exc:
        hint = ctx.empty_store_hint()
        if hint and not exc.details:
            exc.details = [f"Hint: {hint}"]
        raise


def ranking_inputs(cfg: Config, store: Store):
    """The reading list's tags (item id -> tags) and feedback (votes, mutes, follows), for
    ranking and reports."""
    from digest.readinglist import ranking_inputs as _inputs

    return _inputs(store, cfg)


def scorer_and_tags(cfg: Config, store: Store):
    """The config's scorer with everything the reading list teaches, and the tags."""
    tags, feedback = ranking_inputs(cfg, store)
    return scorer_for(cfg, store, tags, feedback), tags


def revisions(store: Store, *, after_run: int | None = None, since: str | None = None, ids=None):
    """New versions of reading-list papers, for the top of a digest (readinglist.revisions)."""
    from digest.readinglist import revisions as revised

    return revised(store, after_run=after_run, since=since, ids=ids)


# --------------------------------------------------------------------------- reading list
def tag(ctx: Context, prefixes: list[str], tags: list[str], *, remove: bool = False):
    """Add (or remove) tags on the papers named by id prefixes: list of readinglist.Change."""
    from digest import readinglist

    with _hinting(ctx):
        return readinglist.set_tags(ctx.store(), prefixes, tags, remove=remove)


def note(ctx: Context, prefix: str, text: str | None, *, clear: bool = False):
    """Attach a note (text), clear the notes (clear) or read them (neither):
    ``(Change or None, current notes)``."""
    from digest import readinglist

    store = ctx.store()
    change = None
    with _hinting(ctx):
        if clear:
            change = readinglist.clear_notes(store, prefix)
        elif text is not None:
            change = readinglist.add_note(store, prefix, text)
        item_id = change.id if change else store.resolve(prefix)
    return change, readinglist.ReadingList.load(store).notes_of(item_id)


def all_tags(ctx: Context) -> dict[str, int]:
    from digest.readinglist import all_tags as _all

    return _all(ctx.store())


def reading_list(ctx: Context, *, tags: Sequence[str] = (), untagged: bool = False, untriaged: bool = False,
                 read: bool | None = None, search: Sequence[str] = (), since: str | None = None,
                 sort: str = "newest", updated_since: str | None = None, limit: int | None = None):
    """The filtered, sorted reading list (a readinglist.Listing of Entry, read as it is iterated)
    and the store's warnings."""
    from digest import readinglist

    store = ctx.store()
    scorer = scorer_and_tags(ctx.config, store)[0] if sort == "score" else None
    entries = readinglist.listing(store, tags=tags, untagged=untagged, untriaged=untriaged, read=read,
                                  search=search, since=since, sort=sort, scorer=scorer,
                                  updated_since=updated_since, limit=limit)
    return entries, list(store.warnings)


def paper_link(ctx: Context, prefix: str) -> tuple[dict, str]:
    """The paper and the link ``digest open`` opens: the one every output gives it
    (:func:`digest.render.paper_link`: its page, else an arXiv search for its title)."""
    from digest.render import paper_link as link_of

    store = ctx.store()
    with _hinting(ctx):
        rec = store.get(store.resolve(prefix))
    if rec is None:  # pragma: no cover - resolve() found it
        raise DigestError(f"no item with id {prefix!r}")
    return rec, link_of(rec).url


def write_output(path: Path, data: bytes) -> None:
    """Write a file the user asked for (``export -o``) atomically, with the mode a new file gets
    from the umask (or the existing file's). A missing folder is an error, never created: a typo
    in a folder name should not make a tree of folders. A symlink's target is written, and a
    device or FIFO written into, never replaced (``store.files.write_user_file``)."""
    from digest.store.files import write_user_file

    write_user_file(path, data)


def set_read(ctx: Context, prefixes: list[str], *, read: bool = True):
    """Mark papers read or unread: list of readinglist.Change."""
    from digest import readinglist

    return readinglist.set_read(ctx.store(), prefixes, read=read)


def preferences(ctx: Context, kind: str, values: Sequence[str] = (), *, on: bool = True):
    """Mute or unmute terms (``kind`` "mute"), follow or unfollow authors ("follow"); with no
    values nothing changes. Returns the actions and the current list, as (value, when)."""
    from digest import readinglist

    store = ctx.store()
    actions = readinglist.set_preference(store, kind, values, on=on) if values else []
    rl = readinglist.ReadingList.load(store)
    return actions, rl.muted_terms() if kind == "mute" else rl.followed_authors()


# --------------------------------------------------------------------------- triage
TRIAGE_ALL_LIMIT = 500  # papers `digest triage --all` / `--untriaged` rank at most (the best first)
TriageMode = Literal["new", "since", "all", "untriaged", "tag"]


def triage(ctx: Context, *, mode: TriageMode = "new", since: str | None = None, tag: str | None = None,
           limit: int | None = None):
    """The triage session over the papers of ``mode``, ranked: the latest ingest's new papers
    (default), those first seen since a date, every stored paper, every paper never triaged,
    or the papers carrying a tag. Papers kept or rejected before are left out, except with
    ``all`` and ``tag``."""
    from digest.ranking.rescore import rank_all
    from digest.readinglist import ReadingList, ranking_inputs
    from digest.tags import normalize_tag
    from digest.triage.session import TriageSession
    from digest.triage.settings import keep_tag

    cfg = ctx.config
    store = ctx.store()
    rl = ReadingList.load(store)
    tags, feedback = ranking_inputs(store, cfg, rl)
    scorer = scorer_for(cfg, store, tags, feedback)
    settled = rl.triaged_ids()
    if mode in ("all", "untriaged"):
        want = limit or TRIAGE_ALL_LIMIT
        extra = len(settled) if mode == "untriaged" else 0
        entries, pool = rank_all(store, scorer, limit=want + extra, min_score=None)
        heading = "All stored papers" if mode == "all" else "Every paper not triaged yet"
        if mode == "untriaged":
            entries = [e for e in entries if e.record["id"] not in settled][:want]
        left_out = 0
        return TriageSession(store, entries, heading, rl, keep_tag(cfg), pool=pool, left_out=left_out)
    if mode == "tag":
        t = normalize_tag(tag or "")
        records: list = store.get_many(rl.ids_with([t]))
        heading = f"Papers tagged #{t}"
        keep_settled = True
    elif mode == "since":
        records = list(store.select("first_seen>=?", (day_start(since) if since else "",)))
        heading = f"Papers first seen since {since}"
        keep_settled = False
    else:
        run_ = store.latest_run()
        records = list(store.select("first_run=?", (run_,))) if run_ else []
        heading = "New papers"
        first = local_day(min((r.get("first_seen") or "" for r in records), default=""))
        if first:
            heading = f"New papers, {first}"
        keep_settled = False
    pool = len(records)
    if not keep_settled:
        records = [r for r in records if r["id"] not in settled]
    entries = scorer.rank(records, limit=limit, min_score=None)
    return TriageSession(store, entries, heading, rl, keep_tag(cfg), pool=pool, left_out=pool - len(records))


def after_triage(ctx: Context) -> None:
    """Bring the learned model's cache up to date with the votes just cast, so the next
    digest does not pay for the rebuild."""
    cfg = ctx.config
    store = ctx.store()
    tags, feedback = ranking_inputs(cfg, store)
    scorer_for(cfg, store, tags, feedback)


# --------------------------------------------------------------------------- tune
def tune(ctx: Context):
    """What the votes, mutes and follows suggest for the config: a digest.tune.Tuning."""
    from digest.tune import suggest

    return suggest(ctx.config, ctx.store())


def tune_target(ctx: Context) -> Path:
    """The config file ``digest tune --apply`` writes: the one in use, or the user's config path
    when the built-in default is in use."""
    cfg = ctx.config
    return paths.config_path(ctx.config_path) if cfg.is_default else cfg.path


def tune_apply(ctx: Context, numbers: list[int] | None, *, write: bool):
    """The chosen suggestions, the config's text before and after (written when ``write``)."""
    from digest.tune import apply, pick, suggest

    store = ctx.store()
    chosen = pick(suggest(ctx.config, store), numbers)
    old, new = apply(ctx.config, tune_target(ctx), store, chosen, write=write)
    return chosen, old, new


# --------------------------------------------------------------------------- ingest / parse
def parse_inputs(ctx: Context, specs: list[str], *, kind: str | None, ref_date: date | None,
                 stdin: BinaryIO | None = None):
    """Yield ``(name, ParseResult or None, error or None)`` for each input. URLs are fetched with
    ``[fetch]`` timeout and user_agent, as by ingest (the config is read only when there is one)."""
    from digest.ingest.pipeline import expand, is_url, nothing_found, parse_input, source_label

    for spec in specs:
        names = expand(spec)
        if not names:
            yield source_label(spec), None, f"{source_label(spec)}: {nothing_found(spec)}"
            continue
        for name in names:
            cfg = ctx.config if is_url(name) else None
            try:
                yield source_label(name), parse_input(name, kind=kind, ref_date=ref_date, stdin=stdin,
                                                      timeout=cfg.fetch_timeout if cfg else 30.0,
                                                      user_agent=cfg.user_agent if cfg else None), None
            except InputError as exc:
                yield source_label(name), None, str(exc)


def ingest(ctx: Context, specs: list[str], *, kind: str | None = None, ref_date: date | None = None,
           dry_run: bool = False, stdin: BinaryIO | None = None) -> tuple[list[IngestResult], list[str]]:
    from digest.ingest.diff import IngestResult
    from digest.ingest.pipeline import expand, ingest_inputs, nothing_found, source_label

    names: list[str] = []
    missing: list[IngestResult] = []
    for spec in specs:
        found = expand(spec, ctx.feedback)
        if not found:
            missing.append(IngestResult(source=source_label(spec),
                                        error=f"{source_label(spec)}: {nothing_found(spec)}"))
        names.extend(found)
    cfg = ctx.config
    store = ctx.store()
    with store:
        results = ingest_inputs(store, names, kind=kind, ref_date=ref_date, dry_run=dry_run,
                                stdin=stdin, timeout=cfg.fetch_timeout, user_agent=cfg.user_agent,
                                feedback=ctx.feedback)
        if not dry_run:
            update_semantic_cache(cfg, store)
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
                   sum(len(r.unchanged) for r in run.results), run.skipped, run.errors, note=run.note)
        for run in runs
    ]


def hide_unmatched(cfg: Config, unmatched: bool | None) -> bool:
    """Whether papers that matched none of the interests are left out: ``--unmatched`` shows
    them (``unmatched=True``), else ``[show] unmatched`` decides (default: left out)."""
    return not unmatched and cfg.unmatched == "hide"


def _ranked(cfg: Config, store: Store, records, heading: str, *, limit: int | None,
            min_score: float | None, pool: int, mode: Mode = "new",
            sources: list[SourceLine] | None = None, warnings: list[str] | None = None,
            unmatched: bool | None = None, updates=(), cross_lists: str | None = None,
            sort: str = "score") -> Report:
    """Rank ``records`` with the config's scorer into a Report with the papers' tags (and the
    papers mute terms hid)."""
    scorer, tags = scorer_and_tags(cfg, store)
    limit = cfg.limit if limit is None else limit
    min_score = cfg.min_score if min_score is None else min_score
    cross_lists = cfg.cross_lists if cross_lists is None else cross_lists
    hidden = Hidden()
    ranked = rank_records(scorer, records, limit=limit, min_score=min_score,
                          matched_only=hide_unmatched(cfg, unmatched), hide_cross_lists=cross_lists == "hide",
                          hidden=hidden, sort=sort)
    return build_report(ranked.entries, heading, pool=pool, tags=tags, mode=mode, sources=sources,
                        warnings=list(store.warnings) if warnings is None else warnings,
                        unmatched=ranked.unmatched, updates=updates, cross_lists=cross_lists,
                        cross_hidden=ranked.cross_lists, hidden=hidden)


def show(ctx: Context, *, mode: Mode = "new", since: str | None = None, limit: int | None = None,
         min_score: float | None = None, unmatched: bool | None = None, held_run: int | None = None,
         hidden: bool = False, sort: str = "score") -> Report:
    """The ranked digest of stored papers: the latest run's new papers, all, since a date, or
    the papers the digest mail of ingest run ``held_run`` left out (all of them, unfiltered);
    ``sort``: one of RANK_SORTS. ``hidden``: instead, the papers of that digest that mute terms hid."""
    cfg = ctx.config
    store = ctx.store()
    if mode == "all":
        from digest.ranking.rescore import rank_all

        scorer, tags = scorer_and_tags(cfg, store)
        stats: dict = {}
        muted = Hidden()
        entries, pool = rank_all(store, scorer, limit=cfg.limit if limit is None else limit,
                                 min_score=cfg.min_score if min_score is None else min_score,
                                 matched_only=hide_unmatched(cfg, unmatched) and can_match(scorer),
                                 hide_cross_lists=cfg.cross_lists == "hide", stats=stats, hidden=muted,
                                 sort=sort, feedback=ctx.feedback)
        report = build_report(entries, "All stored papers", pool=pool, tags=tags, mode=mode,
                              warnings=list(store.warnings), unmatched=stats.get("unmatched") or 0,
                              cross_lists=cfg.cross_lists, cross_hidden=stats.get("cross_lists") or 0,
                              hidden=muted)
    elif mode == "since":
        records = store.select("first_seen>=?", (day_start(since) if since else "",))
        report = _ranked(cfg, store, records, f"Papers first seen since {since}", limit=limit,
                         min_score=min_score, pool=len(records), mode=mode, unmatched=unmatched,
                         updates=revisions(store, since=since), sort=sort)
    elif mode == "held":
        from digest.mail.outbox import held_back

        records = held_back(store, held_run or 0)
        report = _ranked(cfg, store, records, f"Papers the digest mail of ingest run {held_run} left out",
                         limit=len(records) or 1, min_score=float("-inf"), pool=len(records), mode=mode,
                         unmatched=True, cross_lists="show", sort=sort)
    else:
        run = store.latest_run()
        records = store.select("first_run=?", (run,)) if run else []
        report = _ranked(cfg, store, records, "New papers", limit=limit, min_score=min_score,
                         pool=len(records), unmatched=unmatched,
                         updates=revisions(store, after_run=run - 1) if run else (), sort=sort)
        first = local_day(report.entries[0].record.get("first_seen", "")) if report.entries else ""
        if first:
            report.heading = f"New papers, {first}"
    if hidden:
        report.entries, report.heading = report.hidden.entries, f"Hidden by mute terms — {report.heading}"
        report.view = "hidden"
    return report


def explain(ctx: Context, prefix: str) -> tuple[Scored, list[str]]:
    store = ctx.store()
    with _hinting(ctx):
        item_id = store.resolve(prefix)
    rec = store.get(item_id)
    if rec is None:  # pragma: no cover - resolve() found it
        raise DigestError(f"no item with id {prefix!r}")
    scorer, tags = scorer_and_tags(ctx.config, store)
    scored = scorer.score(rec)
    return scored, tags.get(item_id, [])


def _revised_now(runs: list[SourceRun]) -> list[str]:
    """Ids of the papers this run brought a new arXiv version of (revised in the run that wrote them)."""
    return [r["id"] for run_ in runs for res in run_.results for r in res.updated
            if r.get("revised_run") is not None and r.get("revised_run") == r.get("last_run")]


def term_report(ctx: Context) -> tuple[list[str], list[str]]:
    """What ``config show`` and ``config check`` add on stderr: warnings about interest terms that the matching
    rules make identical (or let share spellings), and the abbreviation expansions in use."""
    from digest.ranking.score import Scorer

    cfg = ctx.config
    store = ctx.store()
    vocab = store.vocabulary() if store.exists() else None
    scorer = Scorer.from_config(cfg, vocabulary=vocab)
    specs = scorer.specs
    warnings = []
    for kept, dropped in scorer.matcher.shared:
        a, b = specs[kept], specs[dropped]
        pa, pb = set(a.patterns), set(b.patterns)
        if pa == pb or a.signature(scorer.rules.stemming) == b.signature(scorer.rules.stemming):
            warnings.append(f'interests: "{b.text}" is the same term as "{a.text}" under the matching rules, so only '
                            f'"{a.text}" counts: merge them into one term (or an alias: "{a.text} | {b.text}")')
        elif pa <= pb or pb <= pa:
            small, big = (a, b) if pa <= pb else (b, a)
            warnings.append(f'interests: every spelling of "{small.text}" is one of "{big.text}", and '
                            f'where both match only "{a.text}" counts: keep one of them')
        else:
            both = sorted(set(a.patterns) & set(b.patterns), key=len)[0].decode("utf-8", "replace").strip(" -")
            warnings.append(f'interests: "{a.text}" and "{b.text}" share spellings (such as "{both}"): '
                            f'where both match, only "{a.text}" counts')
    notes = [f'"{s.text}" also matches {e.split(" → ")[1]!r} ({e})' for s in specs for e in s.expansions]
    return warnings, notes


def evaluate(ctx: Context, *, other: Path | None = None, only: Sequence[str] = (), top: int | None = None):
    """``digest eval``: the ranks your tagged papers had on the day they arrived, under your
    config and (``other``) under another one: a list of ranking.evaluate.Evaluation."""
    from digest.ranking.evaluate import evaluate as replay
    from digest.tags import normalize_tag

    store = ctx.store()
    tags = ranking_inputs(ctx.config, store)[0]
    only = [normalize_tag(t) for t in only]
    configs = [ctx.config] + ([load_config(other, explicit=True)] if other is not None else [])
    return [replay(store, cfg, tags, only=only, top=top) for cfg in configs]


@dataclass
class RunOutcome:
    report: Report
    failed: bool = False  # a source failed (the others were still processed)


def run(ctx: Context, *, ref_date: date | None = None, limit: int | None = None,
        min_score: float | None = None, only: list[str] | None = None, force: bool = False,
        unmatched: bool | None = None, rank: bool = True) -> RunOutcome:
    """Fetch and ingest the configured sources, then rank what is new (``rank=False``, for
    ``run --email``, whose mail ranks what it sends: a report of the counts, sources and
    warnings only, no entries)."""
    from digest.ingest.pipeline import run_sources

    cfg = ctx.config
    if not cfg.sources and cfg.is_default:
        raise DigestError(
            "no config of your own yet, so no sources to run: `digest config init` writes one here; "
            "add a [sources.NAME] table with a path or url to it (README, \"Sources\"), "
            "or use `digest ingest PATH`", path=paths.config_path(ctx.config_path))
    if not cfg.sources:
        raise DigestError(
            f"no sources configured in {cfg.path}: add a [sources.NAME] table with a path or url "
            "(see `digest config show`), or use `digest ingest PATH`"
        )
    store = ctx.store()
    with store:
        runs = run_sources(store, cfg, ref_date=ref_date, only=only, force=force, feedback=ctx.feedback)
        update_semantic_cache(cfg, store)
    new = [r for run_ in runs for r in run_.new]
    warnings = list(store.warnings)
    for run_ in runs:
        warnings.extend(run_.warnings)
        warnings.extend(named(run_.name, e) for e in run_.errors)
        if run_.stale_warning:
            warnings.append(run_.stale_warning)
    heading = f"New papers, {date.today().isoformat()}"
    if rank:
        report = _ranked(cfg, store, new, heading, limit=limit, min_score=min_score, pool=len(new),
                         sources=_runs_lines(runs), warnings=warnings, unmatched=unmatched,
                         updates=revisions(store, ids=_revised_now(runs)))
    else:
        report = Report([], heading, pool=len(new), sources=_runs_lines(runs), warnings=warnings)
    return RunOutcome(report, failed=any(r.errors for r in runs))


def demo(*, limit: int | None = None, min_score: float | None = None, unmatched: bool | None = None) -> Report:
    """Ingest the sample dump shipped with digest into a throw-away store and rank it
    with the built-in default config. Touches neither the user's store nor config."""
    import tempfile

    from digest.ingest.pipeline import ingest_inputs

    sample = paths.sample_dump_path()
    with tempfile.TemporaryDirectory(prefix="digest-demo-") as tmp:
        ctx = Context(config_path=None, store_path=Path(tmp))
        ctx._config = load_config(paths.default_config_path())
        store = ctx.store()
        with store:
            results = ingest_inputs(store, [str(sample)], ref_date=date.today())
        res = results[0]
        if res.error:
            raise DigestError(res.error)
        res.source = "sample dump (built in)"
        report = _ranked(ctx.config, store, res.new, "digest demo: the built-in sample dump", limit=limit,
                         min_score=min_score, pool=len(res.new), sources=_source_lines(results),
                         warnings=res.warnings, unmatched=unmatched)
        store.close()
    return report


def config_text(ctx: Context) -> str:
    """The config in effect, as ``digest config show`` prints it: the file, any password hidden."""
    from digest.mail.settings import hide_password

    return hide_password(ctx.config.path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- config check
def config_check(ctx: Context):
    """``digest config check``: the config, loaded and checked (a mistake raises ConfigError),
    for each configured source whether it can be read or reached and what state.json says
    about it, and whether ``[email]`` could send: ``(Config, [pipeline.SourceCheck],
    mail.settings.SendingCheck or None)``."""
    from digest.ingest.pipeline import check_sources
    from digest.mail.settings import check_sending

    cfg = ctx.config
    return cfg, check_sources(ctx.store(), cfg), check_sending(cfg)


# --------------------------------------------------------------------------- email
def email(ctx: Context, *, dry_run: bool = False, to_file: str | None = None, limit: int | None = None,
          min_score: float | None = None, sources: list[SourceLine] | None = None,
          warnings: list[str] | None = None, unmatched: bool | None = None):
    """Email the digest of the papers not emailed yet; see :mod:`digest.mail.outbox`.

    Returns an :class:`digest.mail.outbox.EmailOutcome`; raises DeliveryError (nothing
    marked as emailed), ConfigError, or StoreBusy."""
    from digest.mail.outbox import email_digest

    cfg = ctx.config
    return email_digest(cfg, ctx.store(), dry_run=dry_run, to_file=to_file, limit=limit,
                        min_score=min_score, sources=sources, warnings=warnings,
                        hide_unmatched=hide_unmatched(cfg, unmatched))
