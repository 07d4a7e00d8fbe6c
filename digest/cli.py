"""The command line: parse options, call the core, pick a renderer, translate errors.

This is the only module that imports click. Errors raised by the core
(:class:`digest.errors.DigestError`) become ``Error: <one line>`` on stderr and
exit code 1 (75 when the store is busy); click's usage errors exit 2.
Data goes to stdout; progress, counts and warnings go to stderr.
Heavy modules (rich, feedparser, the store) are imported inside the commands
that need them, so ``digest --help`` stays fast.
"""

from __future__ import annotations

import errno
import os
import sys
from contextlib import contextmanager

import click

from digest import __version__
from digest.errors import EXIT_ERROR, DigestError


class OwnedChoice(click.Choice):
    """A choice among a closed set spelled once by the module that owns it
    (``OwnedChoice("digest.readinglist", "SORTS")``), read when a value is checked or help is
    shown: defining the commands imports neither the reading list nor the renderers, so
    ``digest --help`` and commands that do not use them start faster."""

    def __init__(self, module: str, name: str) -> None:
        self._owner = (module, name)
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        import importlib

        module, name = self._owner
        return tuple(getattr(importlib.import_module(module), name))


def _formats(name: str) -> OwnedChoice:
    return OwnedChoice("digest.render", name)


class Holder:
    """The app's Context and the command line's own settings (verbose, pager)."""

    def __init__(self, app) -> None:
        self.app = app
        self.verbose = False
        self.pager = True

    def set(self, name: str, value) -> None:
        from pathlib import Path

        if name == "config_path":
            self.app.config_path = Path(value)
            self.app._config = None
        elif name == "store_path":
            self.app.store_path = Path(value)
        elif name == "verbose":
            self.verbose = True
            self.app.feedback.verbose = True
        elif name == "pager":
            self.pager = False


def _late_option(ctx: click.Context, param: click.Parameter, value) -> None:
    """An option of the group given after the subcommand (``digest show --store DIR``)."""
    holder = ctx.find_object(Holder)
    if holder is not None and value not in (None, False) and param.name:
        holder.set(param.name, value)


CONFIG_HELP = ("Config file. Env: DIGEST_CONFIG. Default: $DIGEST_HOME/config.toml or "
               "~/.config/digest/config.toml, else the built-in default.")
STORE_HELP = "Store directory. Env: DIGEST_HOME. Default: ~/.local/share/digest."
VERBOSE_HELP = "Say what was read, what was skipped and why (on stderr)."
NO_PAGER_HELP = "Do not page long output (a terminal's output goes through $PAGER, less -FRX by default)."


def _late_params() -> list[click.Parameter]:
    """--config, --store and -v, also accepted after the subcommand."""
    return [
        click.Option(["--config", "config_path"], type=click.Path(dir_okay=False), expose_value=False,
                     callback=_late_option, help="Config file (as before the command).", metavar="PATH"),
        click.Option(["--store", "store_path"], type=click.Path(), expose_value=False, callback=_late_option,
                     help="Store directory (as before the command).", metavar="DIR"),
        click.Option(["--verbose", "-v", "verbose"], is_flag=True, expose_value=False, callback=_late_option,
                     help=VERBOSE_HELP),
    ]


class DigestCommand(click.Command):
    """A command that also takes the group's --config, --store and -v after its name (unless it
    has an option of that name of its own: `digest eval --config OTHER` compares with OTHER).

    Those options are made when the command is first asked for its parameters (to parse its
    arguments or print its help), not when it is defined: a run builds them for the one command
    it runs, not for all of them (each click.Path looks up its translated name through gettext,
    which searches the locale directories every time: ~2 ms per start for every command)."""

    _late_added = False

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if not self._late_added:
            self._late_added = True
            own = {opt for p in self.params for opt in getattr(p, "opts", [])}
            self.params.extend(p for p in _late_params() if not own & set(p.opts))
        return super().get_params(ctx)


def no_pager_option(f):
    return click.option("--no-pager", "pager", is_flag=True, expose_value=False, callback=_late_option,
                        help=NO_PAGER_HELP)(f)


class SinceDate(click.ParamType):
    """--since: YYYY-MM-DD, today, yesterday, 7d, 2w (digest.dates)."""

    name = "DATE"

    def convert(self, value, param, ctx):
        from datetime import date

        if isinstance(value, date):
            return value
        from digest.dates import parse_since

        try:
            return parse_since(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _standard_streams() -> None:
    """Descriptors 0, 1 and 2 that are closed (`digest ... >&-`) are opened on /dev/null before
    anything else is: the first store file opened would take the lowest free one, and what is
    written to stdout or stderr would go into it. sys.stdout or sys.stderr missing (None) writes
    there too, as `> /dev/null` would."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    if sys.stdout is None:
        sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)
    if sys.stderr is None:
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)


_OUTPUT_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)


def _stdout_failed() -> bool:
    """Whether stdout cannot be written (what it holds cannot be flushed)."""
    try:
        sys.stdout.flush()
    except OSError:
        return True
    return False


def _to_devnull(stream) -> None:
    """Point ``stream`` (stdout or stderr) at /dev/null: what is still buffered for an output that
    failed would fail again at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stream.fileno())
    os.close(devnull)


def _replace_unencodable() -> None:
    """Titles, authors and abstracts are Unicode: where stdout cannot encode a character (a
    latin-1 or ASCII locale, PYTHONIOENCODING=ascii) it is written as "?", as stderr already
    writes it as a backslash escape, instead of a UnicodeEncodeError half-way through the output."""
    stream = sys.stdout
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    if encoding.startswith("utf") or getattr(stream, "errors", None) != "strict":
        return
    try:
        stream.reconfigure(errors="replace")  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):  # a stream that is not a TextIOWrapper
        pass


class DigestGroup(click.Group):
    """Translates the project's errors into one line and an exit code."""

    command_class = DigestCommand
    group_class = type  # subgroups (digest config) are DigestGroups too

    def main(self, *args, **kwargs):
        """click's main, and one error line when stdout cannot take the output: ``digest show >
        file`` on a full disk, and ``digest --help > /dev/full`` (click prints the help while it
        parses the arguments, before :meth:`invoke`). The core raises its own errors, so an
        OSError that reaches here failed writing the output."""
        try:
            return super().main(*args, **kwargs)
        except OSError as exc:
            if exc.errno not in _OUTPUT_ERRNOS and not _stdout_failed():
                raise
            _to_devnull(sys.stdout)
            click.echo(f"Error: cannot write the output (stdout): {exc.strerror or exc}", err=True)
            sys.exit(EXIT_ERROR)

    def invoke(self, ctx: click.Context):
        _standard_streams()
        _replace_unencodable()
        try:
            return super().invoke(ctx)
        except DigestError as exc:
            click.echo(f"Error: {exc}", err=True)
            for line in exc.details:
                click.echo(f"  {line}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:  # `digest show | head`
            _to_devnull(sys.stdout)
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


def _holder(ctx: click.Context) -> Holder:
    holder = ctx.find_object(Holder)
    assert holder is not None  # (the group callback always sets it)
    return holder


def _ctx(ctx: click.Context):
    return _holder(ctx).app


def warn(msg: str) -> None:
    click.echo(f"Warning: {msg}", err=True)


def hint(msg: str) -> None:
    click.echo(f"Hint: {msg}", err=True)


def _empty_store_hint(ctx: click.Context) -> bool:
    """On a store without papers, say how to add some (stderr); True when it did."""
    msg = _ctx(ctx).empty_store_hint()
    if msg:
        hint(msg)
    return msg is not None


def _store_warnings(ctx: click.Context) -> None:
    """Warnings of the store (a torn line repaired, damaged lines skipped or set aside) for the
    commands that print no report."""
    for w in _ctx(ctx).store_warnings():
        warn(w)


def date_option(f):
    return click.option(
        "--date", "ref_date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
        help="Reference date (YYYY-MM-DD) for dates without a year. Default: the file's modification date.",
    )(f)


def report_options(f):
    f = click.option("--limit", "-n", type=click.IntRange(min=1), default=None,
                     help="Show at most N papers (default: [show] limit in the config).")(f)
    f = click.option("--min-score", type=float, default=None,
                     help="Hide papers scoring below X (default: [show] min_score).")(f)
    f = click.option("--format", "fmt", type=_formats("REPORT_FORMATS"), default="table",
                     show_default=True, help="Output format.")(f)
    f = UNMATCHED_OPTION(f)
    return no_pager_option(f)


UNMATCHED_OPTION = click.option(
    "--unmatched", is_flag=True, default=None,
    help="Also include papers that matched none of your interests (left out by default when interests "
         "are configured, and counted; [show] unmatched = \"show\" always includes them).")


def _stderr_is_stdout() -> bool:
    """stdout and stderr are the same terminal or file (a terminal; ``>> log 2>&1``)."""
    try:
        return os.path.samestat(os.fstat(sys.stdout.fileno()), os.fstat(sys.stderr.fileno()))
    except (OSError, ValueError, AttributeError):  # not real files (tests, an embedding program)
        return False


_SHELL_CHARS = frozenset("|&;<>()$`\\\"' \t\n*?[#~=%")  # in a pager command: run it by the shell (git's list)


def _which(program: str) -> str | None:
    """The path of ``program`` as the shell would find it (shutil.which, without importing shutil
    and its compression modules on every paged command)."""
    if os.sep in program:
        return program if os.access(program, os.X_OK) and not os.path.isdir(program) else None
    for d in os.environ.get("PATH", os.defpath).split(os.pathsep):
        path = os.path.join(d or ".", program)
        if os.access(path, os.X_OK) and not os.path.isdir(path):
            return path
    return None


def _pager_command() -> str | None:
    """The pager to use, as git chooses one: $DIGEST_PAGER, else $PAGER, else less; none when it
    is empty or ``cat``, or when its program is not installed (said in a warning when named)."""
    cmd = os.environ.get("DIGEST_PAGER", os.environ.get("PAGER"))
    if cmd is None:
        return "less" if _which("less") else None
    if cmd.strip() in ("", "cat"):
        return None
    program = cmd.split()[0] if cmd.split() else cmd
    if _SHELL_CHARS.intersection(program):
        import shlex

        try:
            program = shlex.split(cmd)[0]
        except (ValueError, IndexError):
            program = cmd
    if not _which(program):
        warn(f"pager {program!r} not found (DIGEST_PAGER or PAGER); not paging")
        return None
    return cmd


def _terminal_width() -> int:
    """The terminal's width as shutil.get_terminal_size says it ($COLUMNS first), without shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
        if columns > 0:
            return columns
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def _spawn_pager(cmd: str, env: dict) -> tuple[int, int] | None:
    """Start the pager reading a new pipe: (its pid, the pipe's write end), or None when it
    cannot start. A command with no shell syntax runs directly (as git does), else by the shell;
    os.posix_spawnp, not subprocess, whose import costs a paged command ~1.5 ms."""
    argv = [cmd.strip()] if not _SHELL_CHARS.intersection(cmd.strip()) else ["/bin/sh", "-c", cmd]
    r, w = os.pipe()
    try:
        pid = os.posix_spawnp(argv[0], argv, env, file_actions=[(os.POSIX_SPAWN_DUP2, r, 0),
                                                               (os.POSIX_SPAWN_CLOSE, r),
                                                               (os.POSIX_SPAWN_CLOSE, w)])
    except OSError:
        os.close(r)
        os.close(w)
        return None
    os.close(r)
    return pid, w


@contextmanager
def paged(ctx: click.Context):
    """What the block writes to stdout goes through a pager when stdout is a terminal, as git
    does (``--no-pager`` turns it off). less gets ``LESS=FRX`` unless LESS is set: it quits at
    once when the text fits on one screen, shows colours, and leaves the text on the screen.
    Yields the terminal's width while paging (the renderers then draw as for that terminal),
    else None. Quitting the pager early ends the command normally."""
    cmd = _pager_command() if _holder(ctx).pager and sys.stdout.isatty() else None
    if cmd is None:
        yield None
        return
    width = _terminal_width()
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    sys.stdout.flush()
    spawned = _spawn_pager(cmd, env)
    if spawned is None:
        yield None
        return
    pid, pipe = spawned
    saved = os.dup(sys.stdout.fileno())
    os.dup2(pipe, sys.stdout.fileno())
    os.close(pipe)
    try:
        yield width
        sys.stdout.flush()
    except BrokenPipeError:  # the pager was quit before the end
        pass
    finally:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            pass
        os.dup2(saved, sys.stdout.fileno())
        os.close(saved)
        import signal

        old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the pager's while it runs (git's way)
        try:
            while True:
                try:
                    os.waitpid(pid, 0)
                    break
                except InterruptedError:  # pragma: no cover - (retried by Python since 3.5)
                    continue
                except ChildProcessError:
                    break
        finally:
            signal.signal(signal.SIGINT, old)


def _console(width: int | None):
    """The screen to draw on: stdout as it is (a terminal or not, as rich detects it), or, while
    paging, the terminal behind the pager."""
    from digest.render.screen import make_console

    return make_console() if width is None else make_console(width=width, force_terminal=True)


def emit_report(ctx: click.Context, report, fmt: str) -> None:
    """Render a report to stdout (paged in a terminal). Warnings go to stderr; the terminal and
    Markdown documents also show them (where stderr is the same file as stdout they are not
    repeated there)."""
    document = fmt in ("table", "markdown")
    if not document or not _stderr_is_stdout():
        for w in report.warnings:
            warn(w)
    with paged(ctx) as width:
        if fmt == "json":
            from digest.render.data import render_json

            click.echo(render_json(report), nl=False)
        elif fmt == "jsonl":
            from digest.render.data import render_jsonl

            click.echo(render_jsonl(report), nl=False)
        elif fmt == "markdown":
            from digest.render.markdown import render_markdown

            click.echo(render_markdown(report), nl=False)
        else:
            from digest.render.terminal import print_report

            print_report(report, _console(width))
    if not document:
        for u in report.updates:
            click.echo(u.text(), err=True)
        click.echo(report.summary(), err=True)


def merged_clause(merged: int) -> str:
    """``, 1 merged (...)`` for the papers an input held twice (empty when none): with it the
    counts add up to "parsed"."""
    return f", {merged} merged (the same paper twice in this input)" if merged else ""


def print_counts(results) -> bool:
    """Per-input counts and warnings to stderr; True when an input failed."""
    failed = False
    for res in results:
        for w in res.warnings:
            warn(w)
        if res.error:
            failed = True
            click.echo(f"Error: {res.error}", err=True)
            continue
        c = res.counts()
        click.echo(
            f"{c['source']}: {c['parsed']} parsed, {c['new']} new, {c['updated']} updated, "
            f"{c['unchanged']} unchanged{merged_clause(c['merged'])}",
            err=True,
        )
    return failed


@click.group(cls=DigestGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="digest")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, metavar="PATH",
              help=CONFIG_HELP + " Also after the command.")
@click.option("--store", "store_path", type=click.Path(), default=None, metavar="DIR",
              help=STORE_HELP + " Also after the command.")
@click.option("--verbose", "-v", is_flag=True, help=VERBOSE_HELP + " Also after the command.")
@click.option("--no-pager", "no_pager", is_flag=True, help=NO_PAGER_HELP + " Also after the command.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, store_path: str | None, verbose: bool,
        no_pager: bool) -> None:
    """digest: a ranked daily digest of new machine-learning papers.

    Feed it saved Hugging Face Daily Papers pages, arXiv feeds or the HF
    daily_papers JSON; it keeps what it has seen in a local JSONL store, scores
    every new paper against the interests in config.toml and prints the best
    first.

    \b
    Daily use:   digest run              (configured sources, then the digest)
    By mail:     digest run --email      (from cron; [email] in the config)
    One file:    digest ingest page.txt && digest show
    Try it:      digest run --demo
    """
    from pathlib import Path

    from digest.app import Context
    from digest.render.progress import StderrFeedback

    feedback = StderrFeedback(verbose=verbose)
    ctx.obj = Holder(Context(
        config_path=Path(config_path) if config_path else None,
        store_path=Path(store_path) if store_path else None,
        feedback=feedback,
    ))
    ctx.obj.verbose = verbose
    ctx.obj.pager = not no_pager
    ctx.call_on_close(feedback.close)


# --------------------------------------------------------------------------- ingest / parse
KIND_OPTION = click.option("--kind", type=OwnedChoice("digest.sources", "KINDS"), default=None,
                           help="Force the input kind instead of detecting it from the content.")


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@date_option
@KIND_OPTION
@click.option("--dry-run", is_flag=True, help="Show the diff without writing to the store.")
@click.pass_context
def ingest(ctx, inputs, ref_date, kind, dry_run):
    """Parse INPUTS and add them to the store.

    INPUTS are files, directories, globs, http(s) URLs, or - for standard
    input. Counts (parsed / new / updated / unchanged, and merged: a paper the
    input holds twice) go to stderr per input. A broken input is reported and
    the others are still ingested (exit 1). --dry-run also lists, on stdout,
    what would be new or updated.
    """
    from digest import app

    results, warnings = app.ingest(_ctx(ctx), list(inputs), kind=kind,
                                   ref_date=ref_date.date() if ref_date else None,
                                   dry_run=dry_run, stdin=sys.stdin.buffer)
    for w in warnings:
        warn(w)
    failed = print_counts(results)
    if dry_run:
        for res in results:
            for label, recs in (("new", res.new), ("updated", res.updated)):
                for r in recs:
                    click.echo(f"{label}\t{r['id'][:8]}\t{r['title']}")
        click.echo("dry run: nothing was written", err=True)
    if failed:
        ctx.exit(EXIT_ERROR)


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@date_option
@KIND_OPTION
@click.option("--format", "fmt", type=_formats("PARSE_FORMATS"), default="jsonl",
              show_default=True, help="Output format.")
@click.pass_context
def parse(ctx, inputs, ref_date, kind, fmt):
    """Parse INPUTS and print the papers found, without touching the store.

    One JSON object per paper (jsonl) with the keys id, title, abstract,
    n_authors, authors, published, upvotes, org, links, truncated, source,
    arxiv_id, url, categories, cross_list.
    """
    from digest import app
    from digest.item import PARSE_KEYS
    from digest.render import to_json

    failed = False
    everything = []
    for name, parsed, error in app.parse_inputs(_ctx(ctx), list(inputs), kind=kind,
                                                ref_date=ref_date.date() if ref_date else None,
                                                stdin=sys.stdin.buffer):
        if error:
            failed = True
            click.echo(f"Error: {error}", err=True)
            continue
        for w in parsed.warnings:
            warn(w)
        for it in parsed.items:  # (one to_dict per item: it copies every field)
            d = it.to_dict()
            row = {k: d[k] for k in PARSE_KEYS}
            if fmt == "jsonl":
                click.echo(to_json(row))
            else:
                everything.append(row)
        click.echo(f"{name}: {len(parsed.items) + parsed.merged} parsed{merged_clause(parsed.merged)}", err=True)
    if fmt == "json":
        click.echo(to_json(everything, indent=2))
    if failed:
        ctx.exit(EXIT_ERROR)


# --------------------------------------------------------------------------- show / explain
@cli.command()
@click.option("--new", "mode", flag_value="new", default=True,
              help="Papers first seen in the latest ingest that added any (default).")
@click.option("--all", "mode", flag_value="all", help="Every stored paper (a full rescore).")
@click.option("--since", type=SinceDate(), default=None,
              help="Papers first seen on or after DATE: YYYY-MM-DD, today, yesterday, 7d, 2w.")
@click.option("--held-back", "held_run", type=click.IntRange(min=1), default=None, metavar="RUN",
              help="Every paper the digest mail of ingest run RUN left out (the mail's text part "
                   "gives this command); --limit, --min-score and --unmatched do not apply.")
@click.option("--hidden", is_flag=True,
              help="Instead, the papers that mute terms (negative interests) pushed below the minimum score, "
                   "with the term that sank each.")
@click.option("--sort", type=OwnedChoice("digest.ranking", "RANK_SORTS"), default="score", show_default=True,
              help="score: best first; upvotes: most upvoted first (Daily Papers' count), among the papers "
                   "that pass --min-score.")
@report_options
@click.pass_context
def show(ctx, mode, since, held_run, hidden, sort, limit, min_score, fmt, unmatched):
    """Print the ranked digest from the store."""
    from digest import app

    if since is not None and held_run is not None:
        raise click.UsageError("give --since or --held-back, not both")
    if since is not None:
        mode = "since"
    if held_run is not None:
        mode = "held"
    report = app.show(_ctx(ctx), mode=mode, since=since.isoformat() if since else None,
                      limit=limit, min_score=min_score, unmatched=unmatched, held_run=held_run,
                      hidden=hidden, sort=sort)
    emit_report(ctx, report, fmt)
    _empty_store_hint(ctx)


@cli.command()
@click.argument("item_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--format", "fmt", type=_formats("DETAIL_FORMATS"), default="table",
              show_default=True, help="Output format (json: an object for one ID, a list for several).")
@no_pager_option
@click.pass_context
def explain(ctx, item_ids, fmt):
    """Show how papers' scores are made up. ID: any unique id prefix, or an arXiv id
    (2508.14002, arXiv:2508.14002v2, an arXiv URL). All ids are checked first."""
    from digest import app

    explained = [app.explain(_ctx(ctx), item_id) for item_id in item_ids]
    with paged(ctx) as width:
        if fmt == "json":
            from digest.ranking.report import entry_dict
            from digest.render import to_json

            dicts = [entry_dict(scored, 1, tags) for scored, tags in explained]
            click.echo(to_json(dicts[0] if len(dicts) == 1 else dicts, indent=2))
            return
        from digest.render.terminal import render_explain

        console = _console(width)
        for i, (scored, tags) in enumerate(explained):
            if i:
                click.echo()
            render_explain(scored, console, tags)


@cli.command("eval")
@click.option("--config", "other", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Also replay under this config, beside yours, to see whether a change helps before you "
                   "keep it (unlike --config before the command, this one does not replace yours).")
@click.option("--tag", "-t", "only", multiple=True, metavar="TAG",
              help="Only the papers with this tag (repeatable; default: every tagged paper).")
@click.option("--top", type=click.IntRange(min=1), default=None,
              help="What counts as the day's top (default: [show] limit).")
@click.option("--format", "fmt", type=_formats("DETAIL_FORMATS"), default="table",
              show_default=True, help="Output format (json: every tagged paper's rank).")
@click.pass_context
def eval_cmd(ctx, other, only, top, fmt):
    """How well your config ranks the papers you tagged, on your own history.

    Every tagged paper's arrival is replayed: where did it rank among the papers of
    the ingest that brought it? E.g. "of 41 papers you tagged, 34 (83%) were in
    that day's top 20; median rank 4; mute terms hid 0 of them"."""
    from pathlib import Path

    from digest import app

    results = app.evaluate(_ctx(ctx), other=Path(other) if other else None, only=list(only), top=top)
    if fmt == "json":
        from digest.render import to_json

        click.echo(to_json([r.to_dict() for r in results], indent=2))
    else:
        for r in results:
            if len(results) > 1:
                click.echo(f"{r.config}:")
            click.echo(("  " if len(results) > 1 else "") + r.summary())
        if results and results[0].runs:
            r = results[0]
            click.echo(f"({r.runs} ingest run{'s' if r.runs != 1 else ''} replayed, {r.scored} papers ranked)",
                       err=True)
    _store_warnings(ctx)


# --------------------------------------------------------------------------- reading list
def _ids_and_tags(args: tuple, tag_opts: tuple) -> tuple[list[str], list[str]]:
    """``ID TAG...`` or ``ID... -t TAG``; ``-`` among the ids reads ids from stdin."""
    from digest.tags import InvalidTag, normalize_tag

    given = list(args)
    if tag_opts:
        ids, tags = given, list(tag_opts)
    else:
        ids, tags = given[:1], given[1:]
    if not ids:
        raise click.UsageError("give a paper ID (any unique prefix, or an arXiv id)")
    if not tags:
        raise click.UsageError("give at least one TAG: `ID TAG...`, or several ids with `ID... -t TAG`")
    if "-" in ids:
        piped = [line.split()[0] for line in sys.stdin.read().splitlines()
                 if line.strip() and not line.lstrip().startswith("#")]
        ids = [i for x in ids for i in (piped if x == "-" else [x])]
    try:
        return ids, [normalize_tag(t) for t in tags]
    except InvalidTag as exc:
        raise click.BadParameter(str(exc), param_hint="TAG") from None


def _print_changes(changes, remove: bool) -> None:
    from digest.text import clean

    for ch in changes:
        bits = [("-" if remove else "+") + t for t in (ch.removed if remove else ch.added)]
        if ch.unchanged:
            bits.append(("not tagged " if remove else "already tagged ") + " ".join(ch.unchanged))
        title = clean(ch.title)
        title = title if len(title) <= 60 else title[:59] + "…"
        click.echo(f"{ch.short_id}  {', '.join(bits)}  {title}", err=True)


TAG_HELP = """\b
    digest tag ID TAG...          one paper, one or more tags
    digest tag ID... -t TAG       several papers (-t repeatable)
    digest tag - -t TAG           ids from standard input, one per line

ID is any unique id prefix as the digest shows it, or an arXiv id (2508.14002,
arXiv:2508.14002v2, an arXiv or Hugging Face paper URL). Tags are case-insensitive
(stored lower-case), 1-40 letters, digits and - _ . / : starting with a
letter or digit; a leading # is dropped. All ids are checked before anything
is written."""


def _tag_command(name: str, remove: bool):
    """`digest tag` and `digest untag`: the same arguments, opposite changes."""
    verb = "Remove tags" if remove else "Tag papers"

    @cli.command(name, epilog=TAG_HELP.replace("digest tag", f"digest {name}"),
                 short_help=f"{verb}: ID TAG..., or ID... -t TAG.")
    @click.argument("args", nargs=-1, metavar="ID... [TAG...]")
    @click.option("--tag", "-t", "tag_opts", multiple=True, metavar="TAG",
                  help=f"Tag to {'remove' if remove else 'add'}; when given, every argument is an id.")
    @click.pass_context
    def command(ctx, args, tag_opts):
        from digest import app

        ids, tags = _ids_and_tags(args, tag_opts)
        changes = app.tag(_ctx(ctx), ids, tags, remove=remove)
        _store_warnings(ctx)
        _print_changes(changes, remove=remove)

    command.__doc__ = f"{verb}: `digest {name} ID TAG...` or `digest {name} ID... -t TAG`."
    command.help = command.__doc__
    return command


tag = _tag_command("tag", remove=False)
untag = _tag_command("untag", remove=True)


@cli.command()
@click.argument("item_id", metavar="ID")
@click.argument("text", nargs=-1)
@click.option("--clear", is_flag=True, help="Remove the paper's notes.")
@click.pass_context
def note(ctx, item_id, text, clear):
    """Attach a short note to a paper: digest note ID "text" (ID: an id prefix or an arXiv id).

    Without TEXT, print the paper's notes. A paper can carry several notes;
    they show in `digest list` and go into exports (BibTeX: annote).
    """
    from digest import app

    if clear and text:
        raise click.UsageError("--clear takes no TEXT")
    change, notes = app.note(_ctx(ctx), item_id, " ".join(text) if text else None, clear=clear)
    _store_warnings(ctx)
    if change is not None:
        what = "note added" if not clear else f"{len(change.removed)} note(s) removed"
        click.echo(f"{change.short_id}  {what}", err=True)
        return
    from digest.dates import local_day
    from digest.text import clean

    for n in notes:
        click.echo(f"{clean(local_day(n.at))}  {clean(n.text)}")
    if not notes:
        click.echo("no notes", err=True)


@cli.command("open", short_help="Open a paper's link in the browser.")
@click.argument("item_id", metavar="ID")
@click.option("--print", "print_only", is_flag=True, help="Print the link instead of opening it.")
@click.pass_context
def open_cmd(ctx, item_id, print_only):
    """Open a paper's link in the browser (printed when there is no browser). ID: an id prefix
    or an arXiv id (2508.14002, arXiv:2508.14002v2, an arXiv URL)."""
    from digest import app

    _rec, url = app.paper_link(_ctx(ctx), item_id)
    if not print_only:
        import webbrowser

        try:
            opened = webbrowser.open(url)
        except webbrowser.Error:
            opened = False
        if opened:
            click.echo(f"opened {url}", err=True)
            return
    click.echo(url)


def _read_command(name: str, read: bool):
    """`digest read` and `digest unread`: the read state of papers."""

    @cli.command(name, short_help=f"Mark papers {name}: ID...")
    @click.argument("ids", nargs=-1, required=True, metavar="ID...")
    @click.pass_context
    def command(ctx, ids):
        from digest import app
        from digest.text import clean

        changes = app.set_read(_ctx(ctx), list(ids), read=read)
        _store_warnings(ctx)
        for ch in changes:
            what = f"marked {name}" if ch.added else f"already {name}"
            click.echo(f"{ch.short_id}  {what}  {clean(ch.title)[:60]}", err=True)

    command.help = (f"Mark papers {name} (`digest list --{'read' if read else 'unread'}` lists them). "
                    "ID is any unique id prefix, or an arXiv id (2508.14002, an arXiv URL).")
    return command


read_cmd = _read_command("read", True)
unread_cmd = _read_command("unread", False)


PREFERENCES = {  # name -> (kind, on, what the arguments are, help); short help in PREFERENCE_SHORT
    "mute": ("mute", True, "TERM", "Mute TERMs: each counts as an interest of weight [learning] mute_weight (-3 by "
             "default), as `m` in `digest triage` does. Without TERM, list the muted terms (`digest tune` turns "
             "them into [interests] entries)."),
    "unmute": ("mute", False, "TERM", "Unmute TERMs muted with `digest mute` or in `digest triage`."),
    "follow": ("follow", True, "NAME", "Follow authors: their papers get a boost of [learning] follow_weight (2 by "
               "default), as `a` in `digest triage` does. Without NAME, list the authors followed (`digest tune` "
               "turns them into [authors] entries)."),
    "unfollow": ("follow", False, "NAME",
                 "Stop following authors followed with `digest follow` or in `digest triage`."),
}


PREFERENCE_SHORT = {"mute": "Mute terms (a negative interest); no TERM: list them.", "unmute": "Unmute terms.",
                    "follow": "Follow authors (an author boost); no NAME: list them.",
                    "unfollow": "Stop following authors."}


def _preference_command(name: str):
    """`digest mute`, `unmute`, `follow`, `unfollow`: the same arguments, four changes."""
    kind, on, metavar, help_text = PREFERENCES[name]
    empty = {"mute": "no muted terms (digest mute TERM, or m in digest triage)",
             "follow": "no authors followed (digest follow NAME, or a in digest triage)"}[kind]

    @cli.command(name, help=help_text, short_help=PREFERENCE_SHORT[name])
    @click.argument("values", nargs=-1, required=not on, metavar=f"[{metavar}]..." if on else f"{metavar}...")
    @click.pass_context
    def command(ctx, values):
        from digest import app
        from digest.dates import local_day
        from digest.text import clean

        actions, current = app.preferences(_ctx(ctx), kind, list(values), on=on)
        _store_warnings(ctx)
        for a in actions:
            click.echo(clean(a.what), err=True)
        if on and not values:
            for value, at in current:
                click.echo(f"{clean(local_day(at))}  {clean(value)}")
            if not current:
                click.echo(empty, err=True)

    return command


for _name in PREFERENCES:
    _preference_command(_name)


@cli.command("triage")
@click.option("--since", type=SinceDate(), default=None,
              help="Papers first seen on or after DATE: YYYY-MM-DD, today, yesterday, 7d, 2w.")
@click.option("--all", "mode", flag_value="all", help="Every stored paper, triaged ones too (the best 500).")
@click.option("--untriaged", "mode", flag_value="untriaged",
              help="Every stored paper never kept or rejected (the best 500).")
@click.option("--tag", "-t", "tag", default=None, metavar="TAG", help="The papers carrying TAG.")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=None, help="At most N papers, the best first.")
@click.pass_context
def triage_cmd(ctx, since, mode, tag, limit):
    """Triage papers in a full-screen terminal interface, one key each.

    By default: the latest ingest's new papers, ranked, without those kept or
    rejected before. y keeps (tags toread), n marks not interested, s decides
    later, t tags, N notes, m mutes a term, a follows an author, o opens, r
    marks read, u undoes, / filters, ? shows every key, q quits. Every key is
    saved when it is pressed; the votes teach the ranking ([learning]).
    Needs a terminal (80x24 or more).
    """
    from digest import app

    chosen = [x for x in (since is not None and "--since", mode and f"--{mode}", tag and "--tag") if x]
    if len(chosen) > 1:
        raise click.UsageError(f"{' and '.join(chosen)} exclude each other")
    not_tty = [name for name, f in (("standard output", sys.stdout), ("standard input", sys.stdin),
                                    ("standard error", sys.stderr)) if not f.isatty()]
    if not_tty:  # (Textual draws on standard error and reads standard input)
        raise DigestError(f"triage needs a terminal, and {not_tty[0]} is not one; "
                          "in scripts use digest show, tag and note")
    if os.environ.get("TERM", "") in ("dumb", "unknown"):
        raise DigestError(f"triage needs a full-screen terminal (TERM={os.environ['TERM']})")
    mode = "since" if since is not None else ("tag" if tag else (mode or "new"))
    session = app.triage(_ctx(ctx), mode=mode, since=since.isoformat() if since else None,
                         tag=tag, limit=limit)
    from digest.triage.ui import run as run_ui

    signalled = run_ui(session)
    try:
        click.echo(session.summary(), err=True)
    except OSError:
        if not signalled:
            raise
        # a hangup that took the terminal with it (the window closed, the SSH connection
        # dropped): nobody is there to read the summary, and the status says SIGHUP
        _to_devnull(sys.stderr)
    app.after_triage(_ctx(ctx))
    _store_warnings(ctx)
    if signalled:  # ended by SIGTERM or SIGHUP: the shell's status for a process that signal ended
        ctx.exit(128 + signalled)


@cli.command("tune")
@click.option("--suggest", "action", flag_value="suggest", default=True,
              help="Print what your votes suggest, as numbered changes to config.toml (default).")
@click.option("--apply", "action", flag_value="apply",
              help="Write the suggestions into config.toml (comments and layout kept), after showing the diff.")
@click.option("--pick", "numbers", default=None, metavar="N,N...",
              help="With --apply: only these suggestions (numbers from --suggest).")
@click.option("--yes", "-y", is_flag=True, help="With --apply: do not ask before writing.")
@click.pass_context
def tune_cmd(ctx, action, numbers, yes):
    """Turn what triage taught (votes, mute terms, followed authors) into config.

    --suggest lists new interests, weight changes, new mute terms and authors
    to follow, each with the voted papers it rests on and what it does to your
    own votes replayed as `digest eval` does (kept and rejected papers in their
    day's top, before -> after); --apply writes them
    (or --pick 1,3 of them) into your config.toml with your comments and
    layout kept, after showing the diff.
    """
    from digest import app
    from digest.text import clean

    if numbers is not None and action != "apply":
        raise click.UsageError("--pick goes with --apply")
    picked = None
    if numbers is not None:
        try:
            picked = [int(x) for x in numbers.replace(" ", "").split(",") if x]
        except ValueError:
            raise click.BadParameter("give suggestion numbers like 1,3", param_hint="--pick") from None
    if action == "suggest":
        tuning = app.tune(_ctx(ctx))
        _store_warnings(ctx)
        plural = "" if tuning.votes == 1 else "s"
        click.echo(f"{tuning.votes} vote{plural} ({tuning.kept} kept, {tuning.rejected} not interested)", err=True)
        if not tuning.suggestions:
            click.echo("nothing to suggest yet: triage more papers (digest triage)", err=True)
            return
        width = max(len(clean(s.line())) for s in tuning.suggestions)
        base = tuning.baseline
        if base is not None:
            runs = f"{base.runs} ingest run{'s' if base.runs != 1 else ''}"
            click.echo(f"your votes replayed ({runs}, {base.scored} papers ranked): "
                       f"{base.figure()} now", err=True)
        for s in tuning.suggestions:
            effect = f"; eval: {s.effect(base)}" if base is not None and s.replay is not None else ""
            click.echo(f"{s.number:>3}. {clean(s.line()):<{width}}  {s.kind}: {clean(s.why)}{effect}")
        click.echo("digest tune --apply writes them all (--pick 1,3: some), showing the diff first", err=True)
        return
    chosen, old, new = app.tune_apply(_ctx(ctx), picked, write=False)
    target = app.tune_target(_ctx(ctx))
    if not chosen or old == new:
        click.echo("nothing to change", err=True)
        return
    from digest.tune import diff

    click.echo(diff(old, new, target), nl=False)
    if not yes:
        if not sys.stdin.isatty():
            raise DigestError("not written: add --yes to write without a question")
        if not click.confirm(f"Write {_changes(len(chosen))} to {target}?", err=True):
            click.echo("nothing written", err=True)
            return
    app.tune_apply(_ctx(ctx), [s.number for s in chosen], write=True)
    click.echo(f"wrote {_changes(len(chosen))} to {target}", err=True)


def _changes(n: int) -> str:
    return f"{n} change{'s' if n != 1 else ''}"


@cli.command("tags")
@click.option("--format", "fmt", type=_formats("DETAIL_FORMATS"), default="table",
              show_default=True, help="Output format.")
@click.pass_context
def tags_cmd(ctx, fmt):
    """Every tag in use with the number of papers carrying it."""
    from digest import app

    counts = app.all_tags(_ctx(ctx))
    _store_warnings(ctx)
    if fmt == "json":
        from digest.render import to_json

        click.echo(to_json(counts, indent=2))
        return
    if not counts and not _empty_store_hint(ctx):
        click.echo("no tags yet (digest tag ID TAG)", err=True)
    from digest.text import clean

    width = len(str(max(counts.values(), default=0)))
    for t, n in counts.items():
        click.echo(f"{n:>{width}}  {clean(t)}")


def selection_options(f):
    f = click.option("--sort", type=OwnedChoice("digest.readinglist", "SORTS"), default="newest",
                     show_default=True,
                     help="newest: by publication date; added: most recently tagged first; "
                          "score: by the digest's score; upvotes: most upvoted first.")(f)
    f = click.option("--since", type=SinceDate(), default=None,
                     help="Papers added to the reading list (tagged or noted) on or after DATE; "
                          "with --untagged: first seen on or after DATE. DATE: YYYY-MM-DD, today, "
                          "yesterday, 7d, 2w.")(f)
    f = click.option("--search", "-s", multiple=True, metavar="WORDS",
                     help="Words that must all occur (whole words, by prefix) in title, abstract, "
                          "authors, tags or notes.")(f)
    f = click.option("--limit", "-n", type=click.IntRange(min=1), default=None,
                     help="At most N papers (the first N in the --sort order).")(f)
    f = click.option("--read/--unread", "read", default=None,
                     help="Only papers marked read (--read) or not (--unread).")(f)
    f = click.option("--untriaged", is_flag=True,
                     help="Stored papers never kept or rejected in `digest triage` instead.")(f)
    f = click.option("--updated-since", type=SinceDate(), default=None, metavar="DATE",
                     help="Papers a new arXiv version replaced on or after DATE (YYYY-MM-DD, today, "
                          "yesterday, 7d, 2w).")(f)
    f = click.option("--untagged", is_flag=True, help="Stored papers without any tag instead.")(f)
    f = click.option("--tag", "-t", "tags", multiple=True, metavar="TAG",
                     help="Papers with this tag (repeat: papers with all of them). "
                          "Default: every paper with a tag or a note.")(f)
    return f


def _select(ctx, tags, untagged, untriaged, read, limit, search, since, sort, updated_since=None):
    from digest import app
    from digest.tags import InvalidTag

    if untagged and tags:
        raise click.UsageError("--untagged and --tag exclude each other")
    if untriaged and (untagged or tags):
        raise click.UsageError("--untriaged excludes --tag and --untagged")
    try:
        entries, warnings = app.reading_list(_ctx(ctx), tags=list(tags), untagged=untagged,
                                             untriaged=untriaged, read=read, search=list(search), limit=limit,
                                             since=since.isoformat() if since else None, sort=sort,
                                             updated_since=updated_since.isoformat() if updated_since else None)
    except InvalidTag as exc:
        raise click.BadParameter(str(exc), param_hint="--tag") from None
    for w in warnings:
        warn(w)
    return entries


def _heading(tags, untagged, untriaged=False) -> str:
    if untagged:
        return "Untagged papers"
    if untriaged:
        return "Papers not triaged yet"
    return "Reading list" + (": " + " ".join(f"#{t}" for t in tags) if tags else "")


@cli.command("list")
@selection_options
@click.option("--format", "fmt", type=_formats("LIST_FORMATS"),
              default="table", show_default=True, help="Output format.")
@no_pager_option
@click.pass_context
def list_cmd(ctx, tags, untagged, untriaged, read, updated_since, limit, search, since, sort, fmt):
    """The reading list: tagged (or noted) papers, newest first.

    \b
    digest list --tag toread
    digest list --tag cite --search diffusion --format bibtex
    digest list --untagged --since 2025-11-01
    digest list --updated-since 2025-11-01     new arXiv versions of listed papers
    digest list --tag toread --unread
    digest list --untriaged
    """
    entries = _select(ctx, tags, untagged, untriaged, read, limit, search, since, sort, updated_since)
    with paged(ctx) as width:
        if fmt == "table":
            from digest.render.readinglist import write_table

            console = _console(width)
            write_table(entries, sys.stdout, width=console.width, console=console)
        else:
            from digest.render.readinglist import chunks

            for chunk in chunks(entries, fmt, heading=_heading(tags, untagged, untriaged)):
                sys.stdout.write(chunk)
            sys.stdout.flush()
    n = len(entries)
    click.echo(f"{n} paper{'s' if n != 1 else ''}", err=True)
    if not n:
        _empty_store_hint(ctx)


@cli.command("export")
@selection_options
@click.option("--format", "fmt", type=_formats("EXPORT_FORMATS"),
              default="bibtex", show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              metavar="FILE", help="Write to FILE (atomically; its folder must exist) instead of standard "
                                   "output.")
@click.pass_context
def export_cmd(ctx, tags, untagged, untriaged, read, updated_since, limit, search, since, sort, fmt, output):
    """Export reading-list papers as BibTeX, RIS, Markdown, JSON or CSV.

    \b
    digest export --tag cite -o refs.bib          BibTeX for Zotero, JabRef, LaTeX
    digest export --format ris -o refs.ris        RIS for Zotero, EndNote, Mendeley
    digest export --tag toread --format markdown  a linked list for notes apps
    """
    from digest.render.readinglist import render

    entries = _select(ctx, tags, untagged, untriaged, read, limit, search, since, sort, updated_since)
    text = render(entries, fmt, heading=_heading(tags, untagged, untriaged))
    n = len(entries)
    if output and output != "-":
        from pathlib import Path

        from digest import app

        app.write_output(Path(output), text.encode("utf-8"))
        click.echo(f"wrote {n} paper{'s' if n != 1 else ''} to {output}", err=True)
    else:
        click.echo(text, nl=False)
        click.echo(f"{n} paper{'s' if n != 1 else ''}", err=True)
    if not n:
        _empty_store_hint(ctx)


# --------------------------------------------------------------------------- run
@cli.command()
@click.option("--demo", is_flag=True,
              help="Ingest the built-in sample dump into a throw-away store and show the digest "
                   "(uses the built-in default config; touches nothing of yours).")
@click.option("--source", "only", multiple=True, metavar="NAME", help="Run only this configured source (repeatable).")
@click.option("--force", is_flag=True, help="Re-read inputs even when unchanged since last time.")
@click.option("--email", "send_email", is_flag=True,
              help="Email the digest of the papers not emailed yet instead of printing it ([email] in "
                   "the config).")
@click.option("--dry-run", is_flag=True,
              help="With --email: ingest as usual, then print the message (.eml) instead of sending it; "
                   "nothing is marked as emailed.")
@click.option("--quiet", "-q", is_flag=True,
              help="With --email: print only warnings and errors (cron then mails you only those).")
@date_option
@report_options
@click.pass_context
def run(ctx, demo, only, force, send_email, dry_run, quiet, ref_date, limit, min_score, fmt, unmatched):
    """Fetch and ingest the configured sources, then show what is new.

    This is the one command for cron; with --email the digest is mailed
    instead of printed. Exit codes: 0 success (also when nothing is new),
    1 an error, a source failed (the others were still processed) or the mail
    could not be delivered (nothing was marked as emailed), 2 usage error,
    75 the store is busy (another digest is running).
    """
    from digest import app

    if dry_run and not send_email:
        raise click.UsageError("--dry-run goes with --email (to preview an ingest: digest ingest --dry-run)")
    if quiet and not send_email:
        raise click.UsageError("--quiet goes with --email")
    if demo:
        if send_email:
            raise click.UsageError("--email cannot be combined with --demo")
        report = app.demo(limit=limit, min_score=min_score, unmatched=unmatched)
        emit_report(ctx, report, fmt)
        hint(app.DEMO_NEXT)
        return
    names = [s.name for s in _ctx(ctx).config.sources]
    unknown = [name for name in only if name not in names]
    if unknown and names:  # (no sources at all: app.run says how to add one)
        from digest.text import clean

        raise click.BadParameter(f"no configured source named {clean(repr(unknown[0]))} (configured: "
                                 f"{', '.join(clean(n) for n in names)})", param_hint="'--source'")
    if quiet:
        _ctx(ctx).feedback.quiet = True  # (a wait that ends well needs no look: cron mails only problems)
    outcome = app.run(_ctx(ctx), ref_date=ref_date.date() if ref_date else None, limit=limit,
                      min_score=min_score, only=list(only), force=force, unmatched=unmatched,
                      rank=not send_email)  # (the mail ranks what it sends)
    if send_email:
        for w in outcome.report.warnings:
            warn(w)
        if not quiet:
            r = outcome.report
            click.echo(f"{r.new} new of {r.parsed} parsed — " + "; ".join(s.text() for s in r.sources), err=True)
        sent = app.email(_ctx(ctx), dry_run=dry_run, limit=limit, min_score=min_score,
                         sources=outcome.report.sources, warnings=outcome.report.warnings, unmatched=unmatched)
        emit_email(sent, quiet=quiet)
    else:
        emit_report(ctx, outcome.report, fmt)
    if outcome.failed:
        ctx.exit(EXIT_ERROR)


# --------------------------------------------------------------------------- email
def emit_email(outcome, *, quiet: bool = False) -> None:
    """The .eml of a dry run to stdout; what happened, in one line, to stderr."""
    if outcome.eml is not None:
        sys.stdout.flush()
        sys.stdout.buffer.write(outcome.eml)
        sys.stdout.buffer.flush()
    for w in outcome.warnings:
        warn(w)
    if not quiet:
        click.echo(outcome.summary(), err=True)


@cli.command("email")
@click.option("--dry-run", is_flag=True,
              help="Print the message (.eml) to stdout instead of sending it; nothing is marked as emailed.")
@click.option("--to-file", type=click.Path(dir_okay=False), default=None, metavar="PATH",
              help="Write the message (.eml) to PATH instead of sending it; nothing is marked as emailed.")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=None,
              help="At most N papers in the mail (default: [email] max_items, else [show] limit).")
@click.option("--min-score", type=float, default=None,
              help="Leave out papers scoring below X (default: [email] min_score, else [show] min_score).")
@click.option("--quiet", "-q", is_flag=True, help="Print only warnings and errors.")
@UNMATCHED_OPTION
@click.pass_context
def email_cmd(ctx, dry_run, to_file, limit, min_score, quiet, unmatched):
    """Email the digest of the papers not emailed yet.

    The mail holds the best papers first seen since the last digest that was
    sent (the first time: those of the latest ingest). A paper is marked as
    emailed only once the server accepted the message; if sending fails the
    exit code is 1 and the next run includes the same papers again. With
    nothing new (and [email] send_empty = false) no mail is sent, exit 0.
    Exit 75: another digest holds the store (try again later).
    """
    from digest import app

    if dry_run and to_file:
        raise click.UsageError("give --dry-run or --to-file, not both")
    if quiet:
        _ctx(ctx).feedback.quiet = True
    emit_email(app.email(_ctx(ctx), dry_run=dry_run, to_file=to_file, limit=limit, min_score=min_score,
                         unmatched=unmatched), quiet=quiet)


# --------------------------------------------------------------------------- config
@cli.group()
def config():
    """Where the config is, what it says, whether it works, and a starting copy."""


@config.command("path")
@click.pass_context
def config_path_cmd(ctx):
    """Print the config file path in use (and the store directory)."""
    from digest import paths

    app_ctx = _ctx(ctx)
    path = paths.config_path(app_ctx.config_path)
    click.echo(str(path))
    if not path.exists():
        click.echo(f"({path} does not exist: the built-in default config is used)", err=True)
    click.echo(f"store: {paths.store_dir(app_ctx.store_path)}", err=True)


@config.command("show")
@click.pass_context
def config_show(ctx):
    """Print the config in use (the built-in default when you have none).

    On stderr: the abbreviations your terms also match, and warnings about terms that the
    matching rules make identical (only the first counts)."""
    from digest import app

    cfg = _ctx(ctx).config
    click.echo(app.config_text(_ctx(ctx)), nl=False)
    click.echo(f"({cfg.path}{', built-in default' if cfg.is_default else ''})", err=True)
    warnings, notes = app.term_report(_ctx(ctx))
    for n in notes:
        click.echo(n, err=True)
    for w in warnings:
        warn(w)


@config.command("check")
@click.pass_context
def config_check_cmd(ctx):
    """Check the config, for each configured source whether it can be read or reached and
    when it last gave something new, and whether [email] could send.

    The config is loaded with every rule the commands apply (a mistake is one
    Error line). Files are checked for reading; URLs are fetched once with the
    validators the run keeps (an unchanged feed answers 304); nothing is
    written. Last new, last error and the calendar's word come from the store's
    state.json, the facts `digest run` uses. [email] is checked with the rules of
    a real send (a host, TLS, the CA file); nothing is sent. Exit 1 when a source
    cannot be read or [email] could not send.
    """
    from datetime import datetime, timezone

    from digest import app
    from digest.text import clean

    cfg, checks, mail = app.config_check(_ctx(ctx))
    own = "the built-in default (no config of your own: digest config init)" if cfg.is_default else "valid"
    parts = [f"{n} {word}{'s' if n != 1 else ''}" for n, word in ((len(cfg.interests), "interest"),
                                                                  (len(cfg.sources), "source"))]
    parts += [f"[{name}] set" for name in ("email", "similarity") if getattr(cfg, name)]
    click.echo(f"{cfg.path}: {own}; {', '.join(parts)}")
    for w in app.term_report(_ctx(ctx))[0]:  # terms the matching rules make one
        warn(w)
    if not checks:
        click.echo("no sources configured: add a [sources.NAME] table with a path or url (README, \"Sources\")")
    now = datetime.now(timezone.utc)
    failed = False
    for c in checks:
        click.echo()
        click.echo(f"{clean(c.name)}{'' if c.enabled else ' (disabled)'}  {clean(c.where)}")
        click.echo(f"  {'ok' if c.ok else 'fails'}: {clean(c.status)}")
        failed |= c.enabled and not c.ok
        click.echo(f"  last gave something new: {_ago(c.last_new, now)}")
        if c.last_error:
            click.echo(f"  the last run failed: {clean(c.last_error)}")
        if c.calendar:
            click.echo(f"  {clean(c.calendar)}")
    if mail is not None:
        click.echo()
        click.echo(f"email  {clean(mail.where)}")
        click.echo(f"  {'ok' if mail.ok else 'fails'}: {clean(mail.status)}")
        failed |= not mail.ok
    _store_warnings(ctx)
    if failed:
        ctx.exit(EXIT_ERROR)


def _ago(stamp: str | None, now) -> str:
    """``2025-11-21 07:30 UTC (2 days ago)`` for a state.json time, ``never`` for none."""
    from digest.dates import parse_utc

    if not stamp:
        return "never (no run has got anything from it yet)"
    try:
        then = parse_utc(stamp)
    except ValueError:
        return stamp
    days = (now - then).days
    ago = "today" if days <= 0 else "1 day ago" if days == 1 else f"{days} days ago"
    return f"{then:%Y-%m-%d %H:%M} UTC ({ago})"


@config.command("init")
@click.option("--force", is_flag=True, help="Overwrite an existing config.")
@click.pass_context
def config_init(ctx, force):
    """Write the documented default config to the config path."""
    from digest import paths
    from digest.config import init_config

    path = init_config(paths.config_path(_ctx(ctx).config_path), force=force)
    click.echo(f"wrote {path}", err=True)


