"""Delivering the message: SMTP or a local sendmail command.

:func:`deliver`: SMTP (implicit TLS, STARTTLS, or plain to localhost) with
certificate verification and a timeout, or a local ``sendmail`` command.
Returns only when the server (or the command) accepted the message; every
failure is a one-line :class:`DeliveryError`.

The password is read as late as possible (:func:`resolve_password`), passed to
``smtplib`` and nowhere else: errors are built here from the exception's type
and the server's reply (with the password and its base64 forms cut out),
always ``from None`` so no traceback chain carries it.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import field
from email.message import EmailMessage

from digest.deadline import Deadline
from digest.errors import DeliveryError
from digest.mail.message import as_eml
from digest.mail.settings import EmailSettings
from digest.records import dataclass
from digest.text import clean


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
    raw = [password.encode("utf-8"), f"\0{user or ''}\0{password}".encode(),
           f"{user or ''}\0{user or ''}\0{password}".encode()]
    for b in raw:
        forms.append(base64.b64encode(b).decode("ascii"))
    return forms


# --------------------------------------------------------------------------- delivery
@dataclass
class Delivery:
    refused: dict[str, str] = field(default_factory=dict)  # recipient -> the server's reason
    said: str = ""  # the last line a sendmail command that accepted the message wrote on stderr


def deliver(msg: EmailMessage, s: EmailSettings, password: str | None,
            on_accepted: Callable[[], None] | None = None) -> Delivery:
    """Hand ``msg`` over; return only once it was accepted, else raise DeliveryError.

    ``on_accepted`` runs the moment the message is accepted (the server's 250 after DATA, or
    sendmail's exit 0), before the SMTP session is closed: the caller records the delivery
    there, so a crash while the server takes its time over QUIT sends nothing twice. What it
    raises is raised (after the session is closed)."""
    if s.transport == "sendmail":
        return _sendmail(msg, s, on_accepted)
    return _smtp(msg, s, password, on_accepted)


def _sendmail(msg: EmailMessage, s: EmailSettings, on_accepted: Callable[[], None] | None) -> Delivery:
    cmd = list(s.sendmail_command)
    if "-t" not in cmd:
        cmd += s.envelope_to  # without -t, sendmail takes the recipients as arguments
    name = cmd[0]
    # stderr to a file, not a pipe: an MTA that exits 0 and delivers from a background child (which
    # keeps the pipe open) has accepted the message, and reading the pipe to its end would wait for
    # that child, then call the accepted message a timeout (and mail it again the next day)
    with tempfile.TemporaryFile() as err:
        proc = _run_command(cmd, "email.sendmail_command",
                            f"did not finish within {s.timeout:g} s (email.timeout)", timeout=s.timeout,
                            input=as_eml(msg), stdout=subprocess.DEVNULL, stderr=err)
        size = err.seek(0, os.SEEK_END)
        err.seek(max(size - 65536, 0))  # its last words are what we quote
        stderr = err.read()
    said = [clean(line) for line in stderr.decode("utf-8", "replace").splitlines() if clean(line)]
    if proc.returncode != 0:
        tail = f": {said[-1][:300]}" if said else ""
        raise DeliveryError(f"{name} {_status(proc.returncode)}{tail}; the digest was not sent")
    if on_accepted is not None:
        on_accepted()
    return Delivery(said=said[-1][:300] if said else "")  # accepted, with a warning perhaps


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


def _watched(base: type, deadline: Deadline) -> type:
    """``base`` (smtplib.SMTP or SMTP_SSL) with every socket it opens watched by ``deadline``."""

    class Watched(base):
        def _get_socket(self, host, port, timeout):
            return deadline.register(super()._get_socket(host, port, timeout))

        def starttls(self, *args, **kwargs):
            reply = super().starttls(*args, **kwargs)
            deadline.register(self.sock)  # the TLS socket is a new object
            return reply

    return Watched


def _smtp(msg: EmailMessage, s: EmailSettings, password: str | None,
          on_accepted: Callable[[], None] | None) -> Delivery:
    """One SMTP session. ``email.timeout`` bounds each socket operation and, through a watchdog
    (:class:`digest.deadline.Deadline`), the whole session up to the server's answer to DATA: a
    server that keeps sending continuation lines cannot hold us (and the store lock) longer."""
    import smtplib
    import ssl

    secrets = _secret_forms(s.username, password)
    ctx = _tls_context(s) if s.security in ("tls", "starttls") else None
    stage = "connect"
    smtp: smtplib.SMTP | None = None
    deadline = Deadline(s.timeout).start()
    try:
        if s.security == "tls":
            smtp = _watched(smtplib.SMTP_SSL, deadline)(s.host, s.port, timeout=s.timeout, context=ctx)
        else:
            smtp = _watched(smtplib.SMTP, deadline)(s.host, s.port, timeout=s.timeout)
        assert smtp is not None
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
        if deadline.expired:  # the answer came, but only after the watchdog shut the socket
            raise TimeoutError
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        if smtp is not None:
            smtp.close()  # no QUIT: the server may be the problem
        why = (f"{s.where}: no answer within {s.timeout:g} s during {stage} (email.timeout, for the whole "
               "delivery)" if deadline.expired else _explain(exc, s, secrets, stage))
        raise DeliveryError(why) from None
    except UnicodeError:  # smtplib sends AUTH credentials (and host names) as ASCII only
        if smtp is not None:
            smtp.close()
        what = "user names and passwords" if stage == "login" else "text"
        raise DeliveryError(f"{s.where}: {stage} failed: smtplib can send only ASCII {what}") from None
    finally:
        deadline.cancel()
    # Accepted (250 after DATA): recorded first, then QUIT, itself bounded by the timeout; whatever
    # QUIT does, the message is on its way.
    try:
        if on_accepted is not None:
            on_accepted()
    finally:
        bye = Deadline(s.timeout).start()
        if smtp.sock is not None:
            bye.register(smtp.sock)
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
        finally:
            bye.cancel()
    return Delivery({addr: _reply(code, text, secrets) for addr, (code, text) in (refused or {}).items()})
