"""What operators see of the sending: how many mails still wait to be sent, and log lines that carry the correlation
id of the request that queued the mail."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts.access import AccessRequested, AdminRecipient
from runtime import logs, metrics
from runtime.bus import deliver
from services.email import consumers
from services.email.codes import Limit
from services.email.mailers import SendingFailed
from services.email.outgoing import OutgoingStore, queue_mail
from services.email.store import CodeStore
from services.email.verification import CodeRules
from tests.mail import SEAL, Clock, ScriptedMailer, a_mail, a_sender

pytestmark = pytest.mark.unit

BUSY = SendingFailed("421 4.7.0 Try again later", may_pass=True)
REFUSED = SendingFailed("550 5.1.1 The mailbox does not exist", may_pass=False)


@pytest.fixture
def outgoing() -> OutgoingStore:
    return OutgoingStore.memory()


def mails_waiting() -> float | None:
    return metrics.REGISTRY.get_sample_value("helpdesk_mails_waiting")


class TestMailsWaiting:
    async def test_the_gauge_counts_the_mails_queued_or_deferred_once_the_sender_has_looked(
            self, outgoing: OutgoingStore) -> None:
        clock = Clock()
        sender = a_sender(outgoing, ScriptedMailer(BUSY, "250 OK", REFUSED), clock)
        for _ in range(3):
            await queue_mail(a_mail(), outgoing, SEAL)

        await sender.run_once()  # one deferred, one sent, one failed
        after_the_tries = mails_waiting()
        await queue_mail(a_mail(), outgoing, SEAL)
        await queue_mail(a_mail(), outgoing, SEAL)
        sender.mailer = ScriptedMailer(BUSY, BUSY)
        await sender.run_once()  # both deferred; the first is not due again yet
        with_two_more = mails_waiting()
        clock.advance(timedelta(hours=1))
        sender.mailer = ScriptedMailer()
        await sender.run_once()

        assert (after_the_tries, with_two_more, mails_waiting()) == (1, 3, 0)

    async def test_a_mail_not_due_yet_is_still_counted_when_nothing_is_tried(self, outgoing: OutgoingStore) -> None:
        clock = Clock()
        sender = a_sender(outgoing, ScriptedMailer(BUSY), clock)
        await queue_mail(a_mail(), outgoing, SEAL)
        await sender.run_once()

        tried = await sender.run_once()

        assert (tried, mails_waiting()) == (0, 1)


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The process's log lines as the services write them (runtime/logs.py), put back as they were afterwards."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in (
        "aiokafka", "pymongo", "faststream", "httpx", "uvicorn.access", "opensearch"))]
    saved = [(logger, logger.handlers[:], logger.level, logger.filters[:]) for logger in loggers]
    stream = io.StringIO()
    logs.configure("email", "INFO", stream=stream)
    yield stream
    for logger, handlers, level, filters in saved:
        logger.handlers[:], logger.filters[:] = handlers, filters
        logger.setLevel(level)


def sender_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in lines if line["logger"] == "services.email.sender"]


async def queued_under(correlation_id: str, outgoing: OutgoingStore) -> str:
    """Queue a mail while handling the request `correlation_id` names, as a consumer of CodeRequested does."""
    mail = a_mail()
    token = logs.correlation_id.set(correlation_id)
    try:
        await queue_mail(mail, outgoing, SEAL)
    finally:
        logs.correlation_id.reset(token)
    return mail.id


class TestSendingLogs:
    async def test_a_sent_mail_is_logged_with_the_correlation_id_it_was_queued_under(
            self, outgoing: OutgoingStore, json_lines: io.StringIO) -> None:
        first = await queued_under("call-7", outgoing)
        second = await queued_under("call-8", outgoing)

        await a_sender(outgoing, ScriptedMailer(), Clock()).run_once()

        sent = {line["message_id"]: line["correlation_id"]
                for line in sender_lines(json_lines) if line["message"] == "mail sent"}
        assert sent == {first: "call-7", second: "call-8"}
        assert logs.correlation_id.get() == ""  # nothing of a mail's sending stays in scope after it

    async def test_the_mail_an_event_caused_is_logged_sent_with_the_events_correlation_id(
            self, outgoing: OutgoingStore, json_lines: io.StringIO) -> None:
        limit = Limit(count=3, window=timedelta(minutes=15))
        [subscription] = consumers.subscriptions(CodeStore.memory(), outgoing, SEAL,
                                                 CodeRules(secret=b"s", digits=6, per_user=limit, per_agent=limit))
        requested = AccessRequested(request_id="ar-1", org_id="o-acme", agent_id="u-advanced", agent_name="Ava",
                                    reason="Ticket 4711", expires_at=datetime(2025, 3, 1, 13, tzinfo=UTC),
                                    admins=(AdminRecipient(address="it@acme.example"),), partner_id="p-northwind",
                                    correlation_id="call-10")

        await deliver(subscription, requested, attempts=1)
        await a_sender(outgoing, ScriptedMailer(), Clock()).run_once()

        sent = [line["correlation_id"] for line in sender_lines(json_lines) if line["message"] == "mail sent"]
        assert sent == ["call-10"]

    async def test_every_line_of_a_failed_try_carries_the_correlation_id(
            self, outgoing: OutgoingStore, json_lines: io.StringIO) -> None:
        await queued_under("call-9", outgoing)

        await a_sender(outgoing, ScriptedMailer(ValueError("no reason to quote")), Clock()).run_once()

        lines = sender_lines(json_lines)
        assert [line["message"] for line in lines] == ["mail could not be sent", "mail deferred"]
        assert {line["correlation_id"] for line in lines} == {"call-9"}
