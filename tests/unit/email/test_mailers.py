"""The mailers: the memory one keeps what it is given, newest first; the SMTP one writes plain text and HTML
alternatives with one Message-ID for every try of a mail. Real SMTP is in tests/integration/test_email_smtp.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.email.config import EmailSettings
from services.email.mailers import MemoryMailer, NoOutbox, SmtpMailer, mailer_for, message_id, outbox_of
from tests.mail import Clock, a_mail

pytestmark = pytest.mark.unit


class TestMemoryMailer:
    async def test_it_keeps_what_it_sent_newest_first_and_by_address(self) -> None:
        clock = Clock()
        mailer = MemoryMailer(now=clock)
        first, second = a_mail(to="jane.doe@acme.example"), a_mail(to="rene@bistro.example")

        reply = await mailer.send(first)
        clock.advance(timedelta(seconds=1))
        await mailer.send(second)

        assert reply == "250 kept in memory"
        assert [(m.to, m.at) for m in mailer.kept()] == [("rene@bistro.example", clock.at),
                                                         ("jane.doe@acme.example", clock.at - timedelta(seconds=1))]
        assert [m.text for m in mailer.kept("jane.doe@acme.example")] == [first.text]

    async def test_it_keeps_only_the_newest_mails(self) -> None:
        mailer = MemoryMailer(keep=2)

        for n in range(3):
            await mailer.send(a_mail(subject=f"mail {n}"))

        assert [m.subject for m in mailer.kept()] == ["mail 2", "mail 1"]

    def test_only_the_memory_mailer_has_an_outbox_to_read(self) -> None:
        memory = mailer_for(EmailSettings(storage="memory", mailer="memory"))

        assert outbox_of(memory) is memory
        with pytest.raises(NoOutbox):
            outbox_of(mailer_for(EmailSettings(storage="memory", mailer="smtp")))


class TestLetter:
    def test_a_letter_has_plain_text_and_html_alternatives_from_the_help_desk(self) -> None:
        mailer = SmtpMailer(EmailSettings(storage="memory", from_address="Help Desk <helpdesk@northwind.example>"))
        mail = a_mail(to="jane.doe@acme.example", locale="it", subject="Il tuo codice di verifica",
                      text="Il tuo codice è 731904.", html="<p>Il tuo codice è <b>731904</b>.</p>")

        letter = mailer.letter(mail)

        assert (letter["From"], letter["To"], letter["Subject"]) == (
            "Help Desk <helpdesk@northwind.example>", "jane.doe@acme.example", "Il tuo codice di verifica")
        assert letter["Message-ID"] == f"<{mail.id}@northwind.example>"
        assert letter["Content-Language"] == "it"
        plain, html = letter.iter_parts()
        assert (plain.get_content_type(), plain.get_content().strip()) == ("text/plain", "Il tuo codice è 731904.")
        assert (html.get_content_type(), html.get_content().strip()) == (
            "text/html", "<p>Il tuo codice è <b>731904</b>.</p>")
        assert letter.as_bytes().isascii()  # quoted-printable: any server carries it, 8BITMIME or not

    def test_an_id_that_cannot_be_a_message_id_is_hashed_the_same_every_time(self) -> None:
        assert message_id("c-1.2", "acme.example") == "<c-1.2@acme.example>"
        assert message_id("code <1>@x", "acme.example") == message_id("code <1>@x", "acme.example")
        assert message_id("code <1>@x", "acme.example").count("@") == 1

    def test_a_send_must_end_within_its_claim(self) -> None:
        with pytest.raises(ValueError, match="shorter than claim_lease_seconds"):
            EmailSettings(storage="memory", smtp_timeout_seconds=60, claim_lease_seconds=60)
