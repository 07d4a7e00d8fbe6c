"""The digest as an email message.

:func:`build_message`: ``multipart/alternative`` (text, then HTML), with a
single-line subject from the template, ``Date``, ``Message-ID`` and
``Auto-Submitted: auto-generated``. Paper data never reaches a header.
"""

from __future__ import annotations

import base64
import email.policy
import email.utils
import re
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage

from digest import __version__
from digest.mail.settings import EmailSettings, wire_address
from digest.ranking.report import Report
from digest.text import clean


def subject_for(template: str, count: int, day: str) -> str:
    """The subject line: template fields filled, one line, no control characters."""
    text = template.format(count=count, date=day, s="" if count == 1 else "s")
    return " ".join(clean(text).split())[:200] or "digest"


def _address(value: str) -> Address:
    name = email.utils.parseaddr(value)[0]
    local, _, domain = wire_address(value).rpartition("@")
    # (username and domain, not addr_spec: the email package refuses to parse a non-ASCII local part)
    return Address(display_name=" ".join(clean(name).split()), username=local, domain=domain)


def _encoded_words(text: str, room: int = 60) -> list[str]:
    """``text`` as RFC 2047 encoded words of at most ``room`` characters of base64 each, split
    after a space (kept inside the word before it: readers drop the space between two encoded
    words) or, in a word too long for one, between two characters."""
    chunks: list[str] = []
    for word in re.findall(r"\S+\s*|\s+", text):
        while word:
            take = len(word)
            while take > 1 and 4 * -(-len(word[:take].encode()) // 3) > room:
                take -= 1
            piece, word = word[:take], word[take:]
            joined = (chunks[-1] + piece) if chunks else piece
            if chunks and 4 * -(-len(joined.encode()) // 3) <= room:
                chunks[-1] = joined
            else:
                chunks.append(piece)
    return [f"=?utf-8?b?{base64.b64encode(c.encode()).decode('ascii')}?=" for c in chunks]


def _address_list(addresses: list[Address]) -> str:
    """An address-list header value written by hand (encoded words, at most 78 characters a
    line, one address to a line): the email package (3.11) folds a list of non-ASCII display
    names wrongly for some layouts (the comma between two addresses went into an encoded word,
    ``=?utf-8?q?=2C?=``, and readers saw one address fewer). Lines that fit it writes as they
    are (``refold_source = "long"``)."""
    out = []
    for a in addresses:
        if not a.display_name:
            out.append(a.addr_spec)
        elif a.display_name.isascii():
            out.append(email.utils.formataddr((a.display_name, a.addr_spec)))  # quoted if it must be
        else:
            words = _encoded_words(a.display_name)
            last = words[-1]
            # room for "To: " (or the fold's space), " <", ">" and ","
            gap = "\n " if 4 + len(last) + 2 + len(a.addr_spec) + 2 > 78 else " "
            out.append("\n ".join(words) + f"{gap}<{a.addr_spec}>")
    return ",\n ".join(out)


def _msgid_domain(sender: str) -> str:
    domain = wire_address(sender).rpartition("@")[2].strip("[]") or "localhost"
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return "localhost"


def build_message(report: Report, s: EmailSettings, *, now: datetime | None = None) -> EmailMessage:
    from digest.render.html import render_html
    from digest.render.text import render_text

    now = now or datetime.now().astimezone()
    subject = subject_for(s.subject, len(report.entries), report.date or now.date().isoformat())
    # a non-ASCII local part (RFC 6531) can only be written as UTF-8: never as an encoded word
    utf8 = not all(wire_address(a).isascii() for a in [s.sender, *s.to])
    msg = EmailMessage(policy=email.policy.SMTPUTF8 if utf8 else email.policy.SMTP)
    msg["Subject"] = subject
    msg["From"] = _address(s.sender)
    if utf8:  # (no encoded words: the email package folds these lists correctly)
        msg["To"] = [_address(t) for t in s.to]
    else:
        msg.set_raw("To", _address_list([_address(t) for t in s.to]))
    msg["Date"] = email.utils.format_datetime(now)
    msg["Message-ID"] = email.utils.make_msgid("digest", domain=_msgid_domain(s.sender))
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    msg["X-Mailer"] = f"digest {__version__}"
    msg.set_content(render_text(report), subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(render_html(report, title=subject), subtype="html", charset="utf-8",
                        cte="quoted-printable")
    return msg


def as_eml(msg: EmailMessage) -> bytes:
    """The message as a file (``.eml``): LF line ends, as local tools expect."""
    return msg.as_bytes(policy=msg.policy.clone(linesep="\n"))
