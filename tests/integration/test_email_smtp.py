"""Real SMTP: mail reaches deploy/local's SMTP server as plain text and HTML in the user's language, is tried again
after the server was down, and a server's refusal fails it (4xx: tried again; 5xx: failed)."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.email.config import EmailSettings
from services.email.mailers import SmtpMailer
from services.email.outgoing import Mail, OutgoingMessage, OutgoingStore, queue_mail
from services.email.templates import verification_code
from tests.conftest import received
from tests.mail import SEAL, Clock, a_sender

pytestmark = pytest.mark.integration

FROM = "Help Desk <helpdesk@northwind.example>"


def recipient() -> str:
    """An address no other test writes to, so each reads back only its own mail."""
    return f"caller-{uuid.uuid4().hex[:10]}@acme.example"


def mailer_at(host: str, port: int) -> SmtpMailer:
    return SmtpMailer(EmailSettings(storage="memory", smtp_host=host, smtp_port=port, smtp_timeout_seconds=5,
                                    from_address=FROM))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


def code_mail(to: str, locale: str) -> Mail:
    subject, text, html = verification_code("731904", "Mario Rossi", locale, 10)
    return Mail(id=uuid.uuid4().hex, to=to, kind="verification_code", locale="it" if locale == "it" else "en",
                subject=subject, text=text, html=html)


async def stored(outgoing: OutgoingStore, message_id: str) -> OutgoingMessage:
    message = await outgoing.get(message_id)
    assert message is not None
    return message


def parts(message: Message) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8")
    return found


@pytest.mark.parametrize(("locale", "subject", "says"), [
    ("en", "Your verification code", "Read it only to the agent who is on the line with you."),
    ("it", "Il tuo codice di verifica", "Leggilo solo all'operatore che è in linea con te."),
])
async def test_a_mail_reaches_the_server_as_plain_text_and_html_in_the_users_language(
        smtp_server: tuple[str, int], locale: str, subject: str, says: str) -> None:
    to, outgoing = recipient(), OutgoingStore.memory()
    mail = code_mail(to, locale)
    await queue_mail(mail, outgoing, SEAL)

    await a_sender(outgoing, mailer_at(*smtp_server), Clock()).run_once()

    [letter] = received(to)
    assert (letter["Subject"], letter["From"], letter["To"]) == (subject, FROM, to)
    assert letter["Message-ID"] == f"<{mail.id}@northwind.example>"
    assert letter.get_content_type() == "multipart/alternative"
    text = parts(letter)
    assert says in text["text/plain"]
    assert says.replace("'", "&#x27;") in text["text/html"]
    assert "731904" in text["text/plain"]
    assert "<strong>731904</strong>" in text["text/html"]
    sent = await stored(outgoing, mail.id)
    assert (sent.status, sent.reason) == ("sent", "250 OK")


async def test_a_mail_is_sent_once_the_server_that_was_down_is_back(smtp_server: tuple[str, int]) -> None:
    to, outgoing, clock = recipient(), OutgoingStore.memory(), Clock()
    mail = code_mail(to, "en")
    await queue_mail(mail, outgoing, SEAL)
    refused_port = closed_port()
    sender = a_sender(outgoing, mailer_at("127.0.0.1", refused_port), clock)

    await sender.run_once()
    deferred = await stored(outgoing, mail.id)
    sender.mailer = mailer_at(*smtp_server)  # the server is back
    clock.at = deferred.due_at or clock.at
    await sender.run_once()

    assert deferred.status == "deferred"
    assert deferred.reason is not None
    assert f"no answer from 127.0.0.1:{refused_port}: Error connecting to 127.0.0.1" in deferred.reason
    assert (await stored(outgoing, mail.id)).status == "sent"
    assert len(received(to)) == 1


class Refusing:
    """An SMTP server that refuses every recipient with the reply it is given."""

    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        return self.reply


@pytest.fixture
def refusing(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    port = closed_port()
    controller: Any = Controller(Refusing(request.param), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port
    finally:
        controller.stop()


@pytest.mark.parametrize(("refusing", "status"), [
    ("550 5.1.1 No such user here", "failed"),
    ("451 4.3.0 Mail server temporarily rejected message", "deferred"),
], indirect=["refusing"])
async def test_a_refusal_for_good_fails_the_mail_and_a_passing_one_defers_it(
        refusing: tuple[str, int], status: str) -> None:
    outgoing = OutgoingStore.memory()
    mail = code_mail(recipient(), "en")
    await queue_mail(mail, outgoing, SEAL)

    await a_sender(outgoing, mailer_at(*refusing), Clock()).run_once()

    message = await stored(outgoing, mail.id)
    assert message.status == status
    assert message.reason is not None
    assert message.reason.split(" ", 1)[0] == {"failed": "550", "deferred": "451"}[status]
    assert (message.sealed_body is None) == (status == "failed")
    assert message.due_at is None or message.due_at - message.at == timedelta(seconds=30)
