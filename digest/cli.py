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

from digest import __version__
from digest.errors import EXIT_ERROR, DigestError

REPORT_FORMATS = ("table", "json", "jsonl", "markdown")


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
    return ctx.find_object(Holder).app


class Holder:
    def __init__(self, app) -> None:
        self.app = app


def warn(msg: str) -> None:
    click.echo(f"Warning: {msg}", err=True)


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
    return f


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
@click.version_option(__version__, "--version", prog_name="digest")
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
KIND_OPTION = click.option("--kind", type=click.Choice(["dump", "feed", "hf_json"]), default=None,
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
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json"]), default="jsonl",
              show_default=True, help="Output format.")
@click.pass_context
def parse(ctx, inputs, ref_date, kind, fmt):
    """Parse INPUTS and print the papers found, without touching the store.

    One JSON object per paper (jsonl) with the keys id, title, abstract,
    n_authors, authors, published, upvotes, org, links, truncated, source,
    arxiv_id, url, categories.
    """
    import json

    from digest import app
    from digest.item import PARSE_KEYS

    failed = False
    everything = []
    for name, parsed, error in app.parse_inputs(list(inputs), kind=kind,
                                                ref_date=ref_date.date() if ref_date else None,
                                                stdin=sys.stdin.buffer):
        if error:
            failed = True
            click.echo(f"Error: {error}", err=True)
            continue
        for w in parsed.warnings:
            warn(w)
        rows = [{k: it.to_dict()[k] for k in PARSE_KEYS} for it in parsed.items]
        if fmt == "jsonl":
            for row in rows:
                click.echo(json.dumps(row, ensure_ascii=False))
        else:
            everything.extend(rows)
        click.echo(f"{name}: {len(rows)} parsed", err=True)
    if fmt == "json":
        click.echo(json.dumps(everything, ensure_ascii=False, indent=2))
    if failed:
        ctx.exit(EXIT_ERROR)


# --------------------------------------------------------------------------- show / explain
@cli.command()
@click.option("--new", "mode", flag_value="new", default=True,
              help="Papers first seen in the latest ingest that added any (default).")
@click.option("--all", "mode", flag_value="all", help="Every stored paper (a full rescore).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Papers first seen on or after DATE (YYYY-MM-DD).")
@report_options
@click.pass_context
def show(ctx, mode, since, limit, min_score, fmt):
    """Print the ranked digest from the store."""
    from digest import app

    if since is not None:
        mode = "since"
    report = app.show(_ctx(ctx), mode=mode, since=since.date().isoformat() if since else None,
                      limit=limit, min_score=min_score)
    emit_report(report, fmt)


@cli.command()
@click.argument("item_id", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.pass_context
def explain(ctx, item_id, fmt):
    """Show how one paper's score is made up. ID may be any unique prefix."""
    from digest import app

    scored, tags = app.explain(_ctx(ctx), item_id)
    if fmt == "json":
        import json

        from digest.report import entry_dict

        click.echo(json.dumps(entry_dict(scored, 1, tags), ensure_ascii=False, indent=2))
        return
    from digest.render.terminal import make_console, render_explain

    render_explain(scored, make_console(), tags)


# --------------------------------------------------------------------------- run
@cli.command()
@click.option("--demo", is_flag=True,
              help="Ingest the built-in sample dump into a throw-away store and show the digest "
                   "(uses the built-in default config; touches nothing of yours).")
@click.option("--source", "only", multiple=True, help="Run only this configured source (repeatable).")
@click.option("--force", is_flag=True, help="Re-read inputs even when unchanged since last time.")
@date_option
@report_options
@click.pass_context
def run(ctx, demo, only, force, ref_date, limit, min_score, fmt):
    """Fetch and ingest the configured sources, then show what is new.

    This is the one command for cron. Exit codes: 0 success (also when
    nothing is new), 1 an error or a source failed (the others were still
    processed), 2 usage error, 75 the store is busy (another digest is running).
    """
    from digest import app

    if demo:
        report = app.demo(limit=limit, min_score=min_score)
        emit_report(report, fmt)
        return
    outcome = app.run(_ctx(ctx), ref_date=ref_date.date() if ref_date else None, limit=limit,
                      min_score=min_score, only=list(only), force=force)
    emit_report(outcome.report, fmt)
    if outcome.failed:
        ctx.exit(EXIT_ERROR)


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
    cfg = _ctx(ctx).config
    click.echo(cfg.path.read_text(encoding="utf-8"), nl=False)
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


