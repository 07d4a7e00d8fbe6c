"""The command line: parse options, call the core, pick a renderer, translate errors.

This is the only module that imports click. Errors raised by the core
(:class:`digest.errors.DigestError`) become ``Error: <one line>`` on stderr and
exit code 1 (75 when the store is busy); click's usage errors exit 2.
Data goes to stdout; progress, counts and warnings go to stderr.
Heavy modules (rich, feedparser, the store) are imported inside the commands
that need them, so ``digest --help`` stays fast.
"""

from __future__ import annotations

import os
import sys

import click

from digest.errors import EXIT_ERROR, DigestError
from digest.readinglist import SORTS
from digest.render import DETAIL_FORMATS, EXPORT_FORMATS, LIST_FORMATS, PARSE_FORMATS, REPORT_FORMATS
from digest.sources import KINDS


class DigestGroup(click.Group):
    """Translates the project's errors into one line and an exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DigestError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:  # `digest show | head`
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


def _ctx(ctx: click.Context):
    holder = ctx.find_object(Holder)
    assert holder is not None  # (the group callback always sets it)
    return holder.app


class Holder:
    def __init__(self, app) -> None:
        self.app = app


def warn(msg: str) -> None:
    click.echo(f"Warning: {msg}", err=True)


def _store_warnings(ctx: click.Context) -> None:
    """Warnings of the store (a torn line repaired, damaged lines skipped or set aside) for the
    commands that print no report."""
    for w in _ctx(ctx).store_warnings():
        warn(w)


def date_option(f):
    return click.option(
        "--date", "ref_date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
        help="Reference date (YYYY-MM-DD) for dates without a year. Default: the file's modification date.",
    )(f)


def report_options(f):
    f = click.option("--limit", "-n", type=click.IntRange(min=1), default=None,
                     help="Show at most N papers (default: [show] limit in the config).")(f)
    f = click.option("--min-score", type=float, default=None,
                     help="Hide papers scoring below X (default: [show] min_score).")(f)
    f = click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="table",
                     show_default=True, help="Output format.")(f)
    f = UNMATCHED_OPTION(f)
    return f


UNMATCHED_OPTION = click.option(
    "--unmatched", is_flag=True, default=None,
    help="Also show papers that matched none of your interests (left out by default when interests "
         "are configured, and counted; [show] unmatched = \"show\" to always show them).")


def emit_report(report, fmt: str) -> None:
    """Render a report to stdout; for JSON formats the summary goes to stderr."""
    if fmt == "json":
        from digest.render.data import render_json

        click.echo(render_json(report), nl=False)
    elif fmt == "jsonl":
        from digest.render.data import render_jsonl

        click.echo(render_jsonl(report), nl=False)
    elif fmt == "markdown":
        from digest.render.markdown import render_markdown

        click.echo(render_markdown(report), nl=False)
        return
    else:
        from digest.render.terminal import print_report

        print_report(report)
        return
    for w in report.warnings:
        warn(w)
    for u in report.updates:
        click.echo(u.text(), err=True)
    click.echo(report.summary(), err=True)


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
            f"{c['unchanged']} unchanged",
            err=True,
        )
    return failed


@click.group(cls=DigestGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(None, "--version", package_name="digest", prog_name="digest")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Config file. Env: DIGEST_CONFIG. Default: $DIGEST_HOME/config.toml or "
                   "~/.config/digest/config.toml, else the built-in default.")
@click.option("--store", "store_path", type=click.Path(file_okay=False), default=None,
              help="Store directory. Env: DIGEST_HOME. Default: ~/.local/share/digest.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, store_path: str | None) -> None:
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

    ctx.obj = Holder(Context(
        config_path=Path(config_path) if config_path else None,
        store_path=Path(store_path) if store_path else None,
    ))


# --------------------------------------------------------------------------- ingest / parse
KIND_OPTION = click.option("--kind", type=click.Choice(KINDS), default=None,
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
    input. Counts (parsed / new / updated / unchanged) go to stderr per input.
    A broken input is reported and the others are still ingested (exit 1).
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
@click.option("--format", "fmt", type=click.Choice(PARSE_FORMATS), default="jsonl",
              show_default=True, help="Output format.")
@click.pass_context
def parse(ctx, inputs, ref_date, kind, fmt):
    """Parse INPUTS and print the papers found, without touching the store.

    One JSON object per paper (jsonl) with the keys id, title, abstract,
    n_authors, authors, published, upvotes, org, links, truncated, source,
    arxiv_id, url, categories.
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
        click.echo(f"{name}: {len(parsed.items)} parsed", err=True)
    if fmt == "json":
        click.echo(to_json(everything, indent=2))
    if failed:
        ctx.exit(EXIT_ERROR)


# --------------------------------------------------------------------------- show / explain
@cli.command()
@click.option("--new", "mode", flag_value="new", default=True,
              help="Papers first seen in the latest ingest that added any (default).")
@click.option("--all", "mode", flag_value="all", help="Every stored paper (a full rescore).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Papers first seen on or after DATE (YYYY-MM-DD).")
@click.option("--held-back", "held_run", type=click.IntRange(min=1), default=None, metavar="RUN",
              help="Every paper the digest mail of ingest run RUN left out (the mail's text part "
                   "gives this command).")
@report_options
@click.pass_context
def show(ctx, mode, since, held_run, limit, min_score, fmt, unmatched):
    """Print the ranked digest from the store."""
    from digest import app

    if since is not None and held_run is not None:
        raise click.UsageError("give --since or --held-back, not both")
    if since is not None:
        mode = "since"
    if held_run is not None:
        mode = "held"
    report = app.show(_ctx(ctx), mode=mode, since=since.date().isoformat() if since else None,
                      limit=limit, min_score=min_score, unmatched=unmatched, held_run=held_run)
    emit_report(report, fmt)


@cli.command()
@click.argument("item_id", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(DETAIL_FORMATS), default="table",
              show_default=True, help="Output format.")
@click.pass_context
def explain(ctx, item_id, fmt):
    """Show how one paper's score is made up. ID may be any unique prefix."""
    from digest import app

    scored, tags = app.explain(_ctx(ctx), item_id)
    if fmt == "json":
        from digest.ranking.report import entry_dict
        from digest.render import to_json

        click.echo(to_json(entry_dict(scored, 1, tags), indent=2))
        return
    from digest.render.terminal import make_console, render_explain

    render_explain(scored, make_console(), tags)


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
        raise click.UsageError("give a paper ID (any unique prefix)")
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

ID is any unique id prefix as the digest shows it. Tags are case-insensitive
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
    """Attach a short note to a paper: digest note ID "text".

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
    from digest.text import clean

    for n in notes:
        click.echo(f"{clean(n.at[:10])}  {clean(n.text)}")
    if not notes:
        click.echo("no notes", err=True)


@cli.command("open", short_help="Open a paper's link in the browser.")
@click.argument("item_id", metavar="ID")
@click.option("--print", "print_only", is_flag=True, help="Print the link instead of opening it.")
@click.pass_context
def open_cmd(ctx, item_id, print_only):
    """Open a paper's link in the browser (printed when there is no browser)."""
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


@cli.command("tags")
@click.option("--format", "fmt", type=click.Choice(DETAIL_FORMATS), default="table",
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
    if not counts:
        click.echo("no tags yet (digest tag ID TAG)", err=True)
    from digest.text import clean

    width = len(str(max(counts.values(), default=0)))
    for t, n in counts.items():
        click.echo(f"{n:>{width}}  {clean(t)}")


def selection_options(f):
    f = click.option("--sort", type=click.Choice(SORTS), default="newest",
                     show_default=True,
                     help="newest: by publication date; added: most recently tagged first; "
                          "score: by the digest's score.")(f)
    f = click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                     help="Papers added to the reading list (tagged or noted) on or after DATE; "
                          "with --untagged: first seen on or after DATE.")(f)
    f = click.option("--search", "-s", multiple=True, metavar="WORDS",
                     help="Words that must all occur (whole words, by prefix) in title, abstract, "
                          "authors, tags or notes.")(f)
    f = click.option("--updated-since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                     metavar="DATE",
                     help="Papers a new arXiv version replaced on or after DATE (YYYY-MM-DD).")(f)
    f = click.option("--untagged", is_flag=True, help="Stored papers without any tag instead.")(f)
    f = click.option("--tag", "-t", "tags", multiple=True, metavar="TAG",
                     help="Papers with this tag (repeat: papers with all of them). "
                          "Default: every paper with a tag or a note.")(f)
    return f


def _select(ctx, tags, untagged, search, since, sort, updated_since=None):
    from digest import app
    from digest.tags import InvalidTag

    if untagged and tags:
        raise click.UsageError("--untagged and --tag exclude each other")
    try:
        entries, warnings = app.reading_list(_ctx(ctx), tags=list(tags), untagged=untagged,
                                             search=list(search),
                                             since=since.date().isoformat() if since else None, sort=sort,
                                             updated_since=updated_since.date().isoformat() if updated_since
                                             else None)
    except InvalidTag as exc:
        raise click.BadParameter(str(exc), param_hint="--tag") from None
    for w in warnings:
        warn(w)
    return entries


def _heading(tags, untagged) -> str:
    if untagged:
        return "Untagged papers"
    return "Reading list" + (": " + " ".join(f"#{t}" for t in tags) if tags else "")


@cli.command("list")
@selection_options
@click.option("--format", "fmt", type=click.Choice(LIST_FORMATS),
              default="table", show_default=True, help="Output format.")
@click.pass_context
def list_cmd(ctx, tags, untagged, updated_since, search, since, sort, fmt):
    """The reading list: tagged (or noted) papers, newest first.

    \b
    digest list --tag toread
    digest list --tag cite --search diffusion --format bibtex
    digest list --untagged --since 2025-11-01
    digest list --updated-since 2025-11-01     new arXiv versions of listed papers
    """
    entries = _select(ctx, tags, untagged, search, since, sort, updated_since)
    if fmt == "table":
        from digest.render.readinglist import print_table

        print_table(entries)
    else:
        from digest.render.readinglist import render

        click.echo(render(entries, fmt, heading=_heading(tags, untagged)), nl=False)
    n = len(entries)
    click.echo(f"{n} paper{'s' if n != 1 else ''}", err=True)


@cli.command("export")
@selection_options
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS),
              default="bibtex", show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              metavar="FILE", help="Write to FILE (atomically) instead of standard output.")
@click.pass_context
def export_cmd(ctx, tags, untagged, updated_since, search, since, sort, fmt, output):
    """Export reading-list papers as BibTeX, RIS, Markdown, JSON or CSV.

    \b
    digest export --tag cite -o refs.bib          BibTeX for Zotero, JabRef, LaTeX
    digest export --format ris -o refs.ris        RIS for Zotero, EndNote, Mendeley
    digest export --tag toread --format markdown  a linked list for notes apps
    """
    from digest.render.readinglist import render

    entries = _select(ctx, tags, untagged, search, since, sort, updated_since)
    text = render(entries, fmt, heading=_heading(tags, untagged))
    n = len(entries)
    if output and output != "-":
        from pathlib import Path

        from digest.store.files import atomic_write

        atomic_write(Path(output), text.encode("utf-8"))
        click.echo(f"wrote {n} paper{'s' if n != 1 else ''} to {output}", err=True)
    else:
        click.echo(text, nl=False)
        click.echo(f"{n} paper{'s' if n != 1 else ''}", err=True)


# --------------------------------------------------------------------------- run
@cli.command()
@click.option("--demo", is_flag=True,
              help="Ingest the built-in sample dump into a throw-away store and show the digest "
                   "(uses the built-in default config; touches nothing of yours).")
@click.option("--source", "only", multiple=True, help="Run only this configured source (repeatable).")
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
        emit_report(report, fmt)
        return
    outcome = app.run(_ctx(ctx), ref_date=ref_date.date() if ref_date else None, limit=limit,
                      min_score=min_score, only=list(only), force=force, unmatched=unmatched)
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
        emit_report(outcome.report, fmt)
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
    emit_email(app.email(_ctx(ctx), dry_run=dry_run, to_file=to_file, limit=limit, min_score=min_score,
                         unmatched=unmatched), quiet=quiet)


# --------------------------------------------------------------------------- config
@cli.group()
def config():
    """Where the config is, what it says, and a starting copy."""


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
    """Print the config in use (the built-in default when you have none)."""
    from digest import app

    cfg = _ctx(ctx).config
    click.echo(app.config_text(_ctx(ctx)), nl=False)
    click.echo(f"({cfg.path}{', built-in default' if cfg.is_default else ''})", err=True)


@config.command("init")
@click.option("--force", is_flag=True, help="Overwrite an existing config.")
@click.pass_context
def config_init(ctx, force):
    """Write the documented default config to the config path."""
    from digest import paths
    from digest.config import init_config

    path = init_config(paths.config_path(_ctx(ctx).config_path), force=force)
    click.echo(f"wrote {path}", err=True)


