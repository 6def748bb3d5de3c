"""Send what is queued, in the background: claim a due message, check the address, send it, record what became of it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial

from runtime import logs, metrics, tracing
from runtime.retry import until_it_works
from runtime.timer import Timer
from runtime.times import utc_now
from runtime.versioned import Decision
from services.email import sending
from services.email.config import EmailSettings
from services.email.mailers import Mailer, SendingFailed
from services.email.outgoing import (
    BodyUnreadable,
    ClaimStore,
    OutgoingMessage,
    OutgoingStore,
    Seal,
    SendingClaim,
    opened,
)
from services.email.sending import Backoff
from services.email.store import AddressStore

log = logging.getLogger(__name__)

Outcome = Callable[[OutgoingMessage | None], OutgoingMessage | None]
# What a try can make of a message, each counted in helpdesk_mails_total.
OUTCOMES = ("sent", "deferred", "failed", "suppressed")


class MailSender:
    """Woken when a mail is queued, and every `interval` seconds for the retries that came due. Any number of
    senders may share one store: a message is claimed before it is sent, so none sends it twice at once."""

    def __init__(self, outgoing: OutgoingStore, claims: ClaimStore, addresses: AddressStore, seal: Seal,
                 mailer: Mailer, backoff: Backoff, *, lease: timedelta, interval: float = 1.0,
                 now: Callable[[], datetime] = utc_now) -> None:
        self.outgoing, self.claims, self.addresses = outgoing, claims, addresses
        self.seal, self.mailer = seal, mailer
        self.backoff, self.lease, self.interval, self.now = backoff, lease, interval, now
        # Woken when a mail is queued; otherwise every `interval` for the retries that came due.
        self.timer = Timer(self._send_due, clock=now, longest=timedelta(seconds=interval))
        for outcome in OUTCOMES:  # each shown from the start, at 0, so that a rate over it is defined
            metrics.MAILS.labels(outcome)
        metrics.show(metrics.MAILS_WAITING)

    @classmethod
    def for_settings(cls, settings: EmailSettings, outgoing: OutgoingStore, claims: ClaimStore,
                     addresses: AddressStore, seal: Seal, mailer: Mailer) -> MailSender:
        backoff = Backoff(timedelta(seconds=settings.retry_first_delay_seconds), settings.retry_factor,
                          settings.send_attempts)
        return cls(outgoing, claims, addresses, seal, mailer, backoff,
                   lease=timedelta(seconds=settings.claim_lease_seconds), interval=settings.sender_poll_seconds)

    def kick(self) -> None:
        """A mail was queued: send now rather than at the next tick."""
        self.timer.kick()

    async def run_once(self) -> int:
        """Try every message due now, oldest due first; return how many this sender tried. What still waits then is
        shown as helpdesk_mails_waiting, which an operator watches go to zero before rotating EMAIL_SECRET."""
        now = self.now()
        waiting = await self.outgoing.waiting_messages()
        due = [m for m in waiting if sending.claimable(m, now, self.lease)]
        tried = 0
        for message in sorted(due, key=lambda m: m.due_at or m.queued_at):
            tried += await self.try_sending(message)
        if tried:  # what this look sent, failed or suppressed no longer waits: read again rather than guessed
            waiting = await self.outgoing.waiting_messages()
        metrics.MAILS_WAITING.set(len(waiting))
        return tried

    async def try_sending(self, message: OutgoingMessage) -> bool:
        """Claim the message as read and try it once; False when it changed since or another sender holds it."""
        with _as_queued(message):
            return await self._try_sending(message)

    async def _try_sending(self, message: OutgoingMessage) -> bool:
        taken = await self._claim(message)
        if taken is None or taken.claim is None:
            return False
        outcome = await self._attempt(taken, taken.claim)
        # Only this sender knows what became of the try: a store that is down now is waited for, or the claim would
        # run out with nothing recorded and the mail be sent again. Recorded within the lease, it goes once.
        recorded = await until_it_works(partial(self.outgoing.change, message.id, _decision(outcome)),
                                        "mail outcome not recorded, retrying", {"message_id": message.id})
        if recorded.record is not None and recorded.changed:
            message = recorded.record
            log.info("mail %s", message.status, extra={"message_id": message.id, "kind": message.kind,
                                                       "attempts": message.attempts, "reason": message.reason})
            metrics.MAILS.labels(message.status).inc()
        return True

    async def _claim(self, message: OutgoingMessage) -> OutgoingMessage | None:
        """Make the one claim on the message's version and mark the message so; None when another sender did."""
        token, now = uuid.uuid4().hex, self.now()
        claim = SendingClaim(message_id=message.id, token=token, at=now)
        made = await self.claims.change(f"{message.id}@{message.version}",
                                        lambda held: None if held is not None else (claim, ()))
        if not made.changed:
            held = made.record
            if held is not None and held.at <= now - self.lease:
                await self._move_on(message)
            return None
        marked = await self.outgoing.change(message.id, _decision(
            lambda current: sending.claimed(current, token, message.version, now, self.lease)))
        return marked.record if marked.changed else None

    async def _move_on(self, message: OutgoingMessage) -> None:
        """The sender that claimed this version died before it marked the message: a new version takes new claims."""
        await self.outgoing.change(message.id, lambda current: (current, ())
                                   if current is not None and current.version == message.version else None)

    async def _attempt(self, message: OutgoingMessage, claim: str) -> Outcome:
        """Send the claimed message; answer how to record what became of it."""
        status = await self.addresses.get(message.to)
        if status is not None and status.suppression is not None:
            reason = status.suppression.reason
            return lambda current: sending.suppressed(current, claim, reason, self.now())
        try:
            reply = await self.mailer.send(opened(message, self.seal))
        except SendingFailed as failure:
            refused, may_pass = failure.reply, failure.may_pass  # `failure` itself is gone after this block
            if not may_pass:
                return lambda current: sending.failed(current, claim, refused, self.now())
            return lambda current: sending.deferred(current, claim, refused, self.now(), self.backoff)
        except BodyUnreadable as error:
            # Another replica, started with the right secret, may still send it before the tries run out.
            unreadable = str(error)
            return lambda current: sending.deferred(current, claim, unreadable, self.now(), self.backoff)
        except Exception as error:
            # Unforeseen, so tried again with backoff until the tries run out rather than every lease forever. Only
            # the error's kind is kept and logged: its words might quote the mail.
            log.warning("mail could not be sent", extra={"message_id": message.id, "error": type(error).__name__})
            unforeseen = f"could not send: {type(error).__name__}"
            return lambda current: sending.deferred(current, claim, unforeseen, self.now(), self.backoff)
        return lambda current: sending.sent(current, claim, reply, self.now())

    async def start(self) -> None:
        await self.timer.start()

    async def stop(self) -> None:
        await self.timer.stop()

    async def _send_due(self, _: datetime) -> datetime | None:
        # A store that is down pauses the timer until its next look: what was claimed is taken over once its lease
        # ends. When the next retry is due is not tracked here: the timer looks every `interval` at the latest.
        await self.run_once()
        return None


@contextmanager
def _as_queued(message: OutgoingMessage) -> Iterator[None]:
    """The correlation id and the trace of the request that queued the message, for every line its sending logs: a
    mail without them logs none, rather than those of whatever the sender did before."""
    token = logs.correlation_id.set(message.correlation_id)
    try:
        if message.traceparent:
            with tracing.consuming("send mail", message.traceparent):
                yield
        else:
            yield
    finally:
        logs.correlation_id.reset(token)


def _decision(outcome: Outcome) -> Callable[[OutgoingMessage | None], Decision[OutgoingMessage]]:
    def decide(current: OutgoingMessage | None) -> Decision[OutgoingMessage]:
        record = outcome(current)
        return None if record is None else (record, ())

    return decide
