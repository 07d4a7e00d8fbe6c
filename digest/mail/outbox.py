"""Which papers go in the next email, and the record of what was mailed.

Never lose, never repeat
------------------------
The store's ``events.jsonl`` keeps the mail log, three kinds of events:

``{"type": "email_baseline", "after_run": N}``
    written before the very first real send: mail papers first seen in
    ingest runs numbered above N. N is the run before the latest, so the first
    digest holds the latest ingest's papers and not the whole history, and a
    first send that fails does not move the starting point.
``{"type": "sent", "ids": [...], "message_id": "<...>", "through_run": N, ...}``
    written only after the server accepted the message (SMTP 250 after DATA,
    or the sendmail command exited 0). Every paper first seen in a run up to
    N has now been digested: the ``ids`` were in the mail, the others
    (``held_back``: below ``min_score`` or beyond ``max_items``) were
    outranked and are not mailed later.
``{"type": "email_skipped", "through_run": N, "held_back": K}``
    a day when papers arrived but none reached ``min_score`` and
    ``send_empty`` is false: nothing to send, nothing that could fail, and
    these papers will not be reconsidered.

The pool for the next mail is every paper first seen in a run above the
latest ``through_run`` (or the baseline), minus any id already mailed. A
missed day or a weekend therefore accumulates into the next mail.

Select, send and record happen under the store lock (``with store:``), so two
cron runs at once never mail the same papers: the second waits
``lock_timeout`` seconds and then exits 75. A crash after the server's 250
and before the ``sent`` event is written means the next run mails those
papers again: delivery is at least once, and never twice otherwise.
"""

from __future__ import annotations

from dataclasses import field
from datetime import date
from pathlib import Path
from typing import Literal

from digest.config import Config
from digest.dates import local_day
from digest.errors import DigestError, StoreError
from digest.mail.message import as_eml, build_message
from digest.mail.settings import settings_from_config
from digest.ranking.rank import build_report, rank_records, scorer_for
from digest.ranking.report import Report, SourceLine
from digest.ranking.score import Hidden
from digest.readinglist import ranking_inputs, revisions
from digest.records import dataclass
from digest.store import Store
from digest.store.format import run_number

SENT = "sent"
BASELINE = "email_baseline"
SKIPPED = "email_skipped"

# What an email command did (EmailOutcome.status), a closed set.
Status = Literal["sent", "nothing", "dry-run", "written"]
STATUSES: tuple[Status, ...] = ("sent", "nothing", "dry-run", "written")


@dataclass
class MailLog:
    watermark: int | None = None  # papers first seen in runs up to this were digested
    sent_ids: set[str] = field(default_factory=set)
    last_at: str | None = None  # when the last digest was sent (or skipped)


def read_log(store: Store) -> MailLog:
    log = MailLog()
    for ev in store.iter_events():
        kind = ev.get("type")
        if kind not in (SENT, SKIPPED, BASELINE):
            continue
        raw = ev.get("through_run", ev.get("after_run"))
        mark = run_number(raw)
        if mark is not None:
            log.watermark = mark if log.watermark is None else max(log.watermark, mark)
        elif raw is not None:  # a hand edit or a bit flip: the mark cannot be a run
            store.warnings.append(f"{store.events_path}: a {kind} event with run {str(raw)[:30]} "
                                  "(not a run number) ignored")
        if kind == SENT:
            log.sent_ids.update(i for i in ev.get("ids") or [] if isinstance(i, str))
        if kind in (SENT, SKIPPED) and isinstance(ev.get("at"), str):
            log.last_at = ev["at"]
    return log


@dataclass
class Selection:
    pool: list[dict]  # papers not yet digested
    latest_run: int
    after_run: int  # the pool is papers first seen in runs above this
    first: bool  # no digest was ever attempted from this store


def select(store: Store, log: MailLog) -> Selection:
    latest = store.latest_run()
    if log.watermark is None:
        pool = store.records_of_run(latest) if latest else []
        after = max(latest - 1, 0)
    else:
        after = log.watermark
        pool = store.records_after_run(after)
    pool = [r for r in pool if r["id"] not in log.sent_ids]
    return Selection(pool, latest, after, first=log.watermark is None)


@dataclass
class EmailOutcome:
    status: Status
    report: Report
    held_back: int = 0
    eml: bytes | None = None  # the message, for --dry-run
    path: str | None = None  # --to-file
    recipients: list[str] = field(default_factory=list)
    where: str = ""
    message_id: str = ""
    warnings: list[str] = field(default_factory=list)  # e.g. recipients the server refused
    left_out: str = ""  # why the held-back papers are not in it ("2 below min_score 3 and ...")
    settled: bool = False  # status "nothing": those papers were recorded as digested (email_skipped)

    @property
    def count(self) -> int:
        return len(self.report.entries)

    def summary(self) -> str:
        n = self.count
        papers = f"{n} paper{'' if n == 1 else 's'}"
        if self.report.updates:
            k = len(self.report.updates)
            papers += f" and {k} new version{'' if k == 1 else 's'} of reading-list papers"
        untouched = "nothing was sent and nothing marked as emailed"
        if self.status == "nothing":
            if self.held_back:  # papers came, none is for the mail: say so, they are settled for good
                k = self.held_back
                why = f" ({self.left_out})" if self.left_out else ""
                return (f"no mail sent (send_empty = false): {k} new paper{'' if k == 1 else 's'} since the last "
                        f"digest, none for the mail{why}" + ("; counted as digested" if self.settled else ""))
            return ("nothing new to email since the last digest (send_empty = false): no mail sent")
        if self.status == "dry-run":
            return f"dry run: a digest of {papers}; {untouched}"
        if self.status == "written":
            return f"wrote {self.path} (a digest of {papers}); {untouched}"
        more = f"; {self.held_back} more counted as digested" if self.held_back else ""
        return (f"sent {papers} to {', '.join(self.recipients)} via {self.where} "
                f"(Message-ID {self.message_id}){more}")


def _dedupe(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def compose(cfg: Config, store: Store, *, max_items: int, min_score: float,
            sources: list[SourceLine] | None = None, warnings: list[str] | None = None,
            hide_unmatched: bool = True) -> tuple[MailLog, Selection, Report, str]:
    """Select the unsent papers and rank them into the report the mail shows, and say why the
    papers left out are (``""`` when none is)."""
    log = read_log(store)
    sel = select(store, log)
    tags, feedback = ranking_inputs(store, cfg)
    scorer = scorer_for(cfg, store, tags, feedback)
    result = rank_records(scorer, sel.pool, limit=None, min_score=None,
                          matched_only=hide_unmatched and min_score <= 0, hide_cross_lists=cfg.cross_lists == "hide")
    ranked, unmatched, crossed = result.entries, result.unmatched, result.cross_lists
    kept = [s for s in ranked if s.score >= min_score]
    hidden = Hidden()
    for s in ranked:
        if s.score < min_score and (m := scorer.muted(s.record, s.score, min_score)) is not None:
            hidden.add(m)
    entries = kept[:max_items]
    today = date.today().isoformat()
    if sel.first or not log.last_at:
        heading = f"New papers, {today}"
    else:
        heading = f"New papers since {local_day(log.last_at)}"
    report = build_report(entries, heading, pool=len(sel.pool), tags=tags, mode="unsent", sources=sources,
                          warnings=_dedupe(list(warnings or []) + list(store.warnings)),
                          updates=revisions(store, after_run=sel.after_run), cross_lists=cfg.cross_lists,
                          hidden=hidden)
    below, beyond = len(ranked) - len(kept), len(kept) - len(entries)
    left_out = below + beyond + unmatched + crossed
    listed = ""
    if left_out:
        why = []
        if beyond:
            why.append(f"{beyond} beyond the {max_items} per mail (max_items)")
        if below:
            why.append(f"{below} below min_score {min_score:g}")
        if unmatched:
            why.append(f"{unmatched} that matched none of your interests")
        if crossed:
            why.append(f"{crossed} cross-list{'s' if crossed != 1 else ''} (cross_lists = \"hide\")")
        listed = ", ".join(why[:-1]) + (" and " if len(why) > 1 else "") + why[-1]
        report.notes.append(f"Not in this mail: {left_out} more paper{'s' if left_out != 1 else ''}: "
                            f"{listed}. They will not be mailed later.")
        # the command goes in the text part only (a phone cannot type it); it names this mail's
        # ingest run, so it selects exactly these papers however many ingests a day had
        report.hints.append(f"`digest show --held-back {sel.latest_run}` lists them.")
    return log, sel, report, listed


def held_back(store: Store, run: int) -> list[dict]:
    """The papers the digest mail of ingest run ``run`` left out: those first seen in the runs
    it covered (after the previous mail's, or the run before ``run`` for a first mail) that no
    mail included. For a mail only previewed (``--dry-run``, ``--to-file``), nothing was mailed:
    every paper it covered."""
    before = [m for m in _marks(store) if m < run]
    after = max(before) if before else run - 1
    mailed = read_log(store).sent_ids
    return [r for r in store.select("first_run>? AND first_run<=?", (after, run)) if r["id"] not in mailed]


def _marks(store: Store) -> list[int]:
    """Every watermark of the mail log (the runs mails, skipped days and the baseline went up to)."""
    out = []
    for ev in store.iter_events():
        if ev.get("type") in (SENT, SKIPPED, BASELINE):
            mark = ev.get("through_run", ev.get("after_run"))
            if isinstance(mark, int) and not isinstance(mark, bool):
                out.append(mark)
    return out


def email_digest(cfg: Config, store: Store, *, dry_run: bool = False, to_file: str | Path | None = None,
                 limit: int | None = None, min_score: float | None = None,
                 sources: list[SourceLine] | None = None,
                 warnings: list[str] | None = None, hide_unmatched: bool = True) -> EmailOutcome:
    """Email the digest of papers not emailed yet (or, with dry_run/to_file, only build it)."""
    settings = settings_from_config(cfg, sending=not (dry_run or to_file is not None))
    max_items = limit or settings.max_items
    min_score = settings.min_score if min_score is None else min_score

    def composed() -> tuple[MailLog, Selection, Report, str]:
        return compose(cfg, store, max_items=max_items, min_score=min_score, sources=sources,
                       warnings=warnings, hide_unmatched=hide_unmatched)

    if dry_run or to_file is not None:  # read only: no lock, nothing written to the store
        _, sel, report, why = composed()
        held = len(sel.pool) - len(report.entries)
        if not report.entries and not report.updates and not settings.send_empty:
            return EmailOutcome("nothing", report, held, left_out=why)
        eml = as_eml(build_message(report, settings))
        if to_file is None:
            return EmailOutcome("dry-run", report, held, eml=eml)
        try:
            Path(to_file).write_bytes(eml)
        except OSError as exc:
            raise DigestError(f"cannot write: {exc.strerror}", path=to_file) from None
        return EmailOutcome("written", report, held, path=str(to_file))

    with store:  # select -> send -> record, all under the lock
        log, sel, report, why = composed()
        held = len(sel.pool) - len(report.entries)
        if not report.entries and not report.updates and not settings.send_empty:
            if sel.pool:  # papers came, none qualified: settle them (nothing can fail here)
                store.append_events([{"type": SKIPPED, "through_run": sel.latest_run, "held_back": held}])
            return EmailOutcome("nothing", report, held, left_out=why, settled=bool(sel.pool))
        if log.watermark is None:
            store.append_events([{"type": BASELINE, "after_run": sel.after_run}])
        from digest.mail.transport import deliver, resolve_password  # (smtplib and ssl load here)

        msg = build_message(report, settings)
        message_id = str(msg["Message-ID"])
        ids = [s.record["id"] for s in report.entries]

        def record() -> None:  # the moment the server accepted it, before QUIT: the window is milliseconds
            try:
                store.append_events([{
                    "type": SENT, "ids": ids, "message_id": message_id, "through_run": sel.latest_run,
                    "held_back": held, "to": settings.envelope_to, "transport": settings.transport,
                }])
            except StoreError as exc:
                raise StoreError(f"the digest WAS sent (Message-ID {message_id}) but could not be recorded, "
                                 f"so the next run will send these papers again: {exc}") from None

        password = resolve_password(settings)
        delivery = deliver(msg, settings, password, on_accepted=record)
        del password
    out = EmailOutcome("sent", report, held, recipients=settings.envelope_to, where=settings.where,
                       message_id=message_id)
    for addr, why in delivery.refused.items():
        out.warnings.append(f"the server refused recipient {addr}: {why} (the others got the digest)")
    if delivery.said:  # exit 0 is acceptance, but a warning is not swallowed (e.g. postfix's queue)
        out.warnings.append(f"{settings.where} accepted the digest but said: {delivery.said}")
    return out
