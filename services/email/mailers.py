"""Where mail goes: to an SMTP server, or kept in memory for the embedded mode's outbox."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections import deque
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Protocol

import aiosmtplib
from pydantic import BaseModel, ConfigDict

from runtime.times import utc_now
from services.email.config import EmailSettings
from services.email.outgoing import Mail


class SendingFailed(Exception):
    """The mail did not go: `reply` says why (the server's reply, or why there was none); `may_pass` when trying
    again later may work (no connection, a timeout, a 4xx reply), not when the server refused it for good (5xx)."""

    def __init__(self, reply: str, *, may_pass: bool) -> None:
        super().__init__(reply)
        self.reply, self.may_pass = reply, may_pass


class NoOutbox(LookupError):
    """This service sends real mail: it keeps no outbox to read."""


class Mailer(Protocol):
    async def send(self, mail: Mail) -> str:
        """Send the mail and answer the server's reply; SendingFailed when it did not go."""
        ...


class KeptMail(BaseModel):
    """A mail the memory mailer "sent", as the embedded mode's outbox shows it."""

    model_config = ConfigDict(frozen=True)

    to: str
    subject: str
    text: str
    at: datetime


class MemoryMailer:
    """Keeps what it is given instead of sending it, newest first, so a person trying the product reads it."""

    def __init__(self, now: Callable[[], datetime] = utc_now, keep: int = 1000) -> None:
        self._now = now
        self._kept: deque[KeptMail] = deque(maxlen=keep)  # the embedded mode runs for days: the oldest go

    async def send(self, mail: Mail) -> str:
        self._kept.appendleft(KeptMail(to=mail.to, subject=mail.subject, text=mail.text, at=self._now()))
        return "250 kept in memory"

    def kept(self, to: str | None = None) -> list[KeptMail]:
        return [mail for mail in self._kept if to is None or mail.to == to]


_DOT_ATOM = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")


class SmtpMailer:
    """Sends through an SMTP server, one connection a mail; the whole exchange ends within `timeout`."""

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings
        self.sender = parseaddr(settings.from_address)[1]

    def letter(self, mail: Mail, now: datetime | None = None) -> EmailMessage:
        """The mail as sent: plain text and HTML alternatives, quoted-printable so any server carries them."""
        letter = EmailMessage()
        letter["From"] = self.settings.from_address
        letter["To"] = mail.to
        letter["Subject"] = mail.subject
        letter["Date"] = format_datetime(now or utc_now())
        letter["Message-ID"] = message_id(mail.id, self.sender.rpartition("@")[2] or "helpdesk.local")
        letter["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a code
        letter.set_content(mail.text, cte="quoted-printable")
        letter.add_alternative(mail.html, subtype="html", cte="quoted-printable")
        letter["Content-Language"] = mail.locale  # after the content: setting it drops earlier Content-* headers
        return letter

    async def send(self, mail: Mail) -> str:
        s = self.settings
        client = aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout_seconds,
                                 use_tls=s.smtp_security == "tls", start_tls=s.smtp_security == "starttls",
                                 username=s.smtp_username or None,
                                 password=s.smtp_password.get_secret_value() or None)
        try:
            async with asyncio.timeout(s.smtp_timeout_seconds):
                await client.connect()
                await client.mail(self.sender)
                await client.rcpt(mail.to)
                reply = await client.data(self.letter(mail).as_bytes())
        except aiosmtplib.SMTPResponseException as error:
            raise SendingFailed(f"{error.code} {error.message}", may_pass=error.code < 500) from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise SendingFailed(f"no answer from {s.smtp_host}:{s.smtp_port}: {error or 'timed out'}",
                                may_pass=True) from error
        finally:
            await _close(client)
        return f"{reply.code} {reply.message}"


async def _close(client: aiosmtplib.SMTP) -> None:
    """Say goodbye if the server still listens: the mail is sent once DATA was accepted, whatever QUIT does."""
    if client.is_connected:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
            async with asyncio.timeout(5):
                await client.quit()
    client.close()


def message_id(mail_id: str, domain: str) -> str:
    """The same Message-ID for every try of one mail, so a receiver may tell a repeat from a new mail."""
    local = mail_id if _DOT_ATOM.fullmatch(mail_id) else hashlib.sha256(mail_id.encode()).hexdigest()[:32]
    return f"<{local}@{domain}>"


def outbox_of(mailer: Mailer) -> MemoryMailer:
    """What the mailer kept, when it keeps mail rather than send it; NoOutbox otherwise."""
    if not isinstance(mailer, MemoryMailer):
        raise NoOutbox
    return mailer


def mailer_for(settings: EmailSettings) -> Mailer:
    return MemoryMailer() if settings.mailer == "memory" else SmtpMailer(settings)
