"""A queued message's life, as pure rules: claimed by one sender, then sent, deferred, failed or suppressed.

A sender claims a message before it sends it, so two senders never send it at once: it makes the one claim on the
message's current version (outgoing.ClaimStore), then marks the message claimed. A claim older than the lease is
taken to belong to a sender that crashed mid-send, and another takes the message over, so none is lost. Only the
holder of the current claim records the outcome; a sender whose claim was taken over records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.email.outgoing import WAITING, OutgoingMessage, SendStatus


@dataclass(frozen=True)
class Backoff:
    """When to try again a message whose try failed in a way that may pass, and when to give up."""

    first_delay: timedelta
    factor: float
    attempts: int

    def delay_after(self, attempts: int) -> timedelta | None:
        """How long to wait after `attempts` tries failed; None when that was the last one allowed."""
        if attempts >= self.attempts:
            return None
        return self.first_delay * self.factor ** max(attempts - 1, 0)


def due(message: OutgoingMessage, now: datetime) -> bool:
    return message.waiting and (message.due_at is None or message.due_at <= now)


def claimable(message: OutgoingMessage, now: datetime, lease: timedelta) -> bool:
    return due(message, now) and (message.claimed_at is None or message.claimed_at <= now - lease)


def claimed(current: OutgoingMessage | None, claim: str, version: int, now: datetime, lease: timedelta
            ) -> OutgoingMessage | None:
    """The message, claimed at `version`, marked so for one try; None when it changed since or is not claimable."""
    if current is None or current.version != version or not claimable(current, now, lease):
        return None
    return current.model_copy(update={"claim": claim, "claimed_at": now, "attempts": current.attempts + 1})


def sent(current: OutgoingMessage | None, claim: str, reply: str, now: datetime) -> OutgoingMessage | None:
    return _settled(current, claim, "sent", reply, now)


def failed(current: OutgoingMessage | None, claim: str, reply: str, now: datetime) -> OutgoingMessage | None:
    return _settled(current, claim, "failed", reply, now)


def suppressed(current: OutgoingMessage | None, claim: str, reason: str, now: datetime) -> OutgoingMessage | None:
    return _settled(current, claim, "suppressed", f"not sent: the address is on the suppression list ({reason})", now)


def deferred(current: OutgoingMessage | None, claim: str, reply: str, now: datetime, backoff: Backoff
             ) -> OutgoingMessage | None:
    """The message to be tried again after the backoff's delay; failed when that try was its last."""
    if current is None or current.claim != claim:
        return None
    delay = backoff.delay_after(current.attempts)
    if delay is None:
        return failed(current, claim, f"{reply} (gave up after {current.attempts} tries)", now)
    return _after(current, "deferred", reply, now, due_at=now + delay)


def _settled(current: OutgoingMessage | None, claim: str, status: SendStatus, reason: str, now: datetime
             ) -> OutgoingMessage | None:
    """Nothing more to send: the body is erased, so a copy of the database no longer holds what the mail said."""
    if current is None or current.claim != claim:
        return None
    return _after(current, status, reason, now, due_at=None, sealed_body=None)


def _after(current: OutgoingMessage, status: SendStatus, reason: str, now: datetime, **changes: object
           ) -> OutgoingMessage:
    return current.model_copy(update={"status": status, "reason": reason, "at": now, "waiting": status in WAITING,
                                      "claim": None, "claimed_at": None, **changes})
