"""The digest as an email: building the message and delivering it.

- :func:`settings_from_config` turns ``[email]`` into :class:`EmailSettings`,
  checking what only matters when mail goes out (``from``/``to`` present, a
  host for SMTP, clear text only to localhost, a plaintext ``password`` only
  in a file nobody else can read).
- :func:`build_message`: ``multipart/alternative`` (text, then HTML), with a
  single-line subject from the template, ``Date``, ``Message-ID`` and
  ``Auto-Submitted: auto-generated``. Paper data never reaches a header.
- :func:`deliver`: SMTP (implicit TLS, STARTTLS, or plain to localhost) with
  certificate verification and a timeout, or a local ``sendmail`` command.
  Returns only when the server (or the command) accepted the message; every
  failure is a one-line :class:`DeliveryError`.

The password is read as late as possible, passed to ``smtplib`` and nowhere
else: errors are built here from the exception's type and the server's reply
(with the password and its base64 forms cut out), always ``from None`` so no
traceback chain carries it.
"""

from __future__ import annotations

import base64
import email.policy
import email.utils
import os
import socket
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

from digest import __version__
from digest.config import Config
from digest.errors import ConfigError, DeliveryError
from digest.mailconfig import (DEFAULT_SENDMAIL, DEFAULT_SUBJECT, DEFAULT_TIMEOUT, as_list, command)
from digest.render import clean
from digest.report import Report

LOCALHOSTS = ("localhost", "127.0.0.1", "::1", "localhost.localdomain", "ip6-localhost")
DEFAULT_PORTS = {"tls": 465, "starttls": 587, "none": 25}


@dataclass
class EmailSettings:
    config_path: Path
    sender: str
    to: list[str]
    subject: str = DEFAULT_SUBJECT
    transport: str = "smtp"
    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password_env: str | None = None
    password_command: list[str] = field(default_factory=list)
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    allow_insecure: bool = False
    sendmail_command: list[str] = field(default_factory=lambda: list(DEFAULT_SENDMAIL))
    send_empty: bool = False
    max_items: int = 20
    min_score: float = 0.0

    @property
    def where(self) -> str:
        """The destination, for messages: ``host:port`` or the sendmail command."""
        if self.transport == "sendmail":
            return f"sendmail command {self.sendmail_command[0]}"
        return f"{self.host}:{self.port}"

    @property
    def envelope_from(self) -> str:
        return email.utils.parseaddr(self.sender)[1]

    @property
    def envelope_to(self) -> list[str]:
        return [email.utils.parseaddr(t)[1] for t in self.to]


def settings_from_config(cfg: Config, *, sending: bool = True) -> EmailSettings:
    """The ``[email]`` settings, complete and safe to use, or a one-line ConfigError.

    With ``sending=False`` (a preview: ``--dry-run``, ``--to-file``) the transport
    settings are not required: building the message needs only from and to."""
    e = cfg.email
    path = cfg.path

    def fail(key: str, what: str) -> ConfigError:
        return ConfigError(f"{key}: {what}", path=path)

    if not e and getattr(cfg, "is_default", False):
        raise ConfigError("email is not set up: you have no config of your own (this is the built-in "
                          "default); run `digest config init`, then add an [email] table "
                          "(see README, \"Email from cron\")", path=path)
    if not e:
        raise ConfigError("no [email] table: add one with at least `from`, `to` and how to send "
                          "(see README, \"Email from cron\")", path=path)
    for key in ("from", "to"):
        if key not in e:
            raise fail(f"email.{key}", "required to send the digest")
    s = EmailSettings(config_path=path, sender=e["from"], to=as_list(e["to"]))
    s.subject = e.get("subject", DEFAULT_SUBJECT)
    s.transport = e.get("transport", "smtp")
    s.timeout = float(e.get("timeout", DEFAULT_TIMEOUT))
    s.send_empty = e.get("send_empty", False)
    s.max_items = e.get("max_items", cfg.limit)
    s.min_score = float(e.get("min_score", cfg.min_score))
    if "sendmail_command" in e:
        s.sendmail_command = command(e["sendmail_command"])
    if "password" in e:  # whatever the transport: a secret in a file others can read is refused
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            raise fail("email.password", f"cannot check the file's permissions: {exc.strerror}") from None
        if mode & 0o077:
            how = "readable" if mode & 0o044 else "writable"
            raise fail("email.password", f"refused: the file is {how} by group or others (mode "
                                         f"{mode & 0o777:04o}); chmod 600 it, or use password_env or "
                                         "password_command instead")
    if s.transport == "sendmail" or (not sending and "host" not in e):
        return s
    if "host" not in e:
        raise fail("email.host", 'required when transport = "smtp" (or set transport = "sendmail")')
    s.host = e["host"].strip()
    port = e.get("port")
    s.security = e.get("security") or ("tls" if port == 465 else "starttls")
    s.port = port or DEFAULT_PORTS[s.security]
    s.allow_insecure = e.get("allow_insecure", False)
    if s.security == "none" and not s.allow_insecure and s.host.lower().strip("[]") not in LOCALHOSTS:
        raise fail("email.security", f'"none" sends the mail (and any password) in clear text: allowed only '
                                     f"to localhost, not {s.host!r}, unless allow_insecure = true")
    if "ca_file" in e:
        ca = Path(os.path.expanduser(e["ca_file"]))
        if not ca.is_file():
            raise fail("email.ca_file", f"{ca}: no such file")
        s.ca_file = str(ca)
    s.username = e.get("username")
    s.password_env = e.get("password_env")
    if "password_command" in e:
        s.password_command = command(e["password_command"])
    if "password" in e:
        s.password = e["password"]
    if s.username and not (s.password is not None or s.password_env or s.password_command):
        raise fail("email.username", "needs a password source: password_env, password_command or password")
    return s


# --------------------------------------------------------------------------- secrets
def resolve_password(s: EmailSettings) -> str | None:
    """The SMTP password from the environment, a command, or the (private) config file."""
    if not s.username or s.transport != "smtp":
        return None
    if s.password is not None:
        return s.password
    if s.password_env:
        value = os.environ.get(s.password_env)
        if not value:
            raise DeliveryError(f"email.password_env: the environment variable {s.password_env} is not set "
                                "(or empty); cron jobs see only the variables set in the crontab")
        return value
    cmd = s.password_command
    proc = _run_command(cmd, "email.password_command", f"gave no password within {s.timeout:g} s",
                        timeout=s.timeout, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    if proc.returncode != 0:
        raise DeliveryError(f"email.password_command: {cmd[0]} {_status(proc.returncode)}")
    first = proc.stdout.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        password = first.decode("utf-8")
    except UnicodeDecodeError:
        raise DeliveryError(f"email.password_command: {cmd[0]} printed a first line that is not UTF-8") from None
    if not password:
        raise DeliveryError(f"email.password_command: {cmd[0]} printed an empty first line")
    return password


def _run_command(cmd: list[str], key: str, timeout_msg: str, *, timeout: float, **kwargs):
    """Run a configured command; every way it can fail is a one-line DeliveryError."""
    try:
        return subprocess.run(cmd, timeout=timeout, check=False, **kwargs)
    except FileNotFoundError:
        raise DeliveryError(f"{key}: command not found: {cmd[0]}") from None
    except PermissionError:
        raise DeliveryError(f"{key}: not executable: {cmd[0]}") from None
    except subprocess.TimeoutExpired:
        raise DeliveryError(f"{key}: {cmd[0]} {timeout_msg}") from None
    except OSError as exc:
        raise DeliveryError(f"{key}: cannot run {cmd[0]}: {exc.strerror}") from None


def _status(code: int) -> str:
    return f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"


def _redact(text: str, secrets: list[str]) -> str:
    for secret in sorted((x for x in secrets if x), key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return text


def _secret_forms(user: str | None, password: str | None) -> list[str]:
    """The password and the base64 forms AUTH PLAIN/LOGIN put on the wire."""
    if not password:
        return []
    forms = [password]
    raw = [password.encode("utf-8"), f"\0{user or ''}\0{password}".encode("utf-8"),
           f"{user or ''}\0{user or ''}\0{password}".encode("utf-8")]
    for b in raw:
        forms.append(base64.b64encode(b).decode("ascii"))
    return forms


# --------------------------------------------------------------------------- the message
def subject_for(template: str, count: int, day: str) -> str:
    """The subject line: template fields filled, one line, no control characters."""
    text = template.format(count=count, date=day, s="" if count == 1 else "s")
    return " ".join(clean(text).split())[:200] or "digest"


def _address(value: str) -> Address:
    name, addr = email.utils.parseaddr(value)
    return Address(display_name=" ".join(clean(name).split()), addr_spec=addr)


def _msgid_domain(sender: str) -> str:
    domain = email.utils.parseaddr(sender)[1].rpartition("@")[2].strip("[]") or "localhost"
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return "localhost"


def build_message(report: Report, s: EmailSettings, *, now: datetime | None = None) -> EmailMessage:
    from digest.render.html import render_html
    from digest.render.text import render_text

    now = now or datetime.now().astimezone()
    subject = subject_for(s.subject, len(report.entries), report.date or now.date().isoformat())
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = subject
    msg["From"] = _address(s.sender)
    msg["To"] = [_address(t) for t in s.to]
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


# --------------------------------------------------------------------------- delivery
@dataclass
class Delivery:
    refused: dict[str, str] = field(default_factory=dict)  # recipient -> the server's reason


def deliver(msg: EmailMessage, s: EmailSettings, password: str | None) -> Delivery:
    """Hand ``msg`` over; return only once it was accepted, else raise DeliveryError."""
    if s.transport == "sendmail":
        return _sendmail(msg, s)
    return _smtp(msg, s, password)


def _sendmail(msg: EmailMessage, s: EmailSettings) -> Delivery:
    cmd = list(s.sendmail_command)
    if "-t" not in cmd:
        cmd += s.envelope_to  # without -t, sendmail takes the recipients as arguments
    name = cmd[0]
    proc = _run_command(cmd, "email.sendmail_command", f"did not finish within {s.timeout:g} s (email.timeout)",
                        timeout=s.timeout, input=as_eml(msg), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        said = [clean(line) for line in proc.stderr.decode("utf-8", "replace").splitlines() if clean(line)]
        tail = f": {said[-1][:300]}" if said else ""
        raise DeliveryError(f"{name} {_status(proc.returncode)}{tail}; the digest was not sent")
    return Delivery()


def _tls_context(s: EmailSettings):
    import ssl

    try:
        return ssl.create_default_context(cafile=s.ca_file)
    except (ssl.SSLError, ValueError):
        raise DeliveryError(f"email.ca_file: {s.ca_file}: not a PEM certificate file") from None
    except OSError as exc:
        raise DeliveryError(f"email.ca_file: {s.ca_file}: {exc.strerror}") from None


def _reply(code: object, text: object, secrets: list[str]) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    said = _redact(" ".join(clean(text).split()), secrets)[:300]
    return f"{code} {said}".strip() if code not in (None, -1) else said


def _explain(exc: BaseException, s: EmailSettings, secrets: list[str], stage: str) -> str:
    """One line saying what went wrong, built from the exception's type and the server's words."""
    import smtplib
    import ssl

    where = s.where
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = clean(exc.verify_message or exc.reason or "")
        hint = ("set email.ca_file to the CA certificate that signed the server's certificate"
                if "issuer" in why or "self-signed" in why or "self signed" in why
                else "check email.host matches the name on the server's certificate")
        return f"{where}: TLS certificate verification failed ({why}); {hint}"
    if isinstance(exc, ssl.SSLError):
        return f"{where}: TLS error during {stage}: {clean(exc.reason or exc.__class__.__name__)}" + (
            " (is email.security right? port 465 is \"tls\", 587 is \"starttls\")"
            if "WRONG_VERSION" in str(exc.reason or "") else "")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (f"{where}: login as {s.username!r} refused: {_reply(exc.smtp_code, exc.smtp_error, secrets)}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        bits = [f"{addr} ({_reply(code, text, secrets)})" for addr, (code, text) in exc.recipients.items()]
        return f"{where}: every recipient was refused: " + "; ".join(bits)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"{where}: sender {s.envelope_from} refused: {_reply(exc.smtp_code, exc.smtp_error, secrets)}"
    if isinstance(exc, smtplib.SMTPDataError):
        return f"{where}: the server rejected the message: {_reply(exc.smtp_code, exc.smtp_error, secrets)}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        if stage in ("login", "starttls"):
            what = "AUTH (login)" if stage == "login" else "STARTTLS"
            return f"{where}: the server does not offer {what} on this connection"
        return f"{where}: {stage} failed: {clean(exc)}"  # e.g. non-ASCII addresses without SMTPUTF8
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        # smtplib turns a read timeout into "Connection unexpectedly closed: timed out"
        if isinstance(exc.__context__, (socket.timeout, TimeoutError)) or "timed out" in str(exc):
            return f"{where}: no answer within {s.timeout:g} s during {stage} (email.timeout)"
        return f"{where}: the server closed the connection during {stage}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{where}: {stage} failed: {_reply(exc.smtp_code, exc.smtp_error, secrets)}"
    if isinstance(exc, smtplib.SMTPException):
        return f"{where}: {stage} failed: {_redact(clean(exc), secrets)[:300]}"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"{where}: no answer within {s.timeout:g} s during {stage} (email.timeout)"
    if isinstance(exc, ConnectionRefusedError):
        return f"{where}: connection refused (is the host and port right?)"
    if isinstance(exc, socket.gaierror):
        return f"{s.host}: unknown host ({clean(exc.strerror or exc)})"
    if isinstance(exc, OSError):
        return f"{where}: {stage} failed: {clean(exc.strerror or exc.__class__.__name__)}"
    return f"{where}: {stage} failed: {exc.__class__.__name__}"  # pragma: no cover


def _smtp(msg: EmailMessage, s: EmailSettings, password: str | None) -> Delivery:
    import smtplib
    import ssl

    secrets = _secret_forms(s.username, password)
    ctx = _tls_context(s) if s.security in ("tls", "starttls") else None
    stage = "connect"
    smtp = None
    try:
        if s.security == "tls":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ctx)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        stage = "EHLO"
        smtp.ehlo()
        if s.security == "starttls":
            stage = "starttls"
            if not smtp.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError("STARTTLS")
            smtp.starttls(context=ctx)
            stage = "EHLO"
            smtp.ehlo()
        if s.username:
            stage = "login"
            smtp.login(s.username, password or "")
        stage = "sending"
        refused = smtp.send_message(msg, from_addr=s.envelope_from, to_addrs=s.envelope_to)
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        if smtp is not None:
            smtp.close()  # no QUIT: the server may be the problem
        raise DeliveryError(_explain(exc, s, secrets, stage)) from None
    except UnicodeError:  # smtplib sends AUTH credentials (and host names) as ASCII only
        if smtp is not None:
            smtp.close()
        what = "user names and passwords" if stage == "login" else "text"
        raise DeliveryError(f"{s.where}: {stage} failed: smtplib can send only ASCII {what}") from None
    # Accepted (250 after DATA). Whatever QUIT does now, the message is on its way.
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
    return Delivery({addr: _reply(code, text, secrets) for addr, (code, text) in (refused or {}).items()})
