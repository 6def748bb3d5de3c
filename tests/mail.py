"""What the tests of outgoing mail share: a clock the test moves, mails to queue, a mailer that answers as told."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from runtime.times import utc_now
from services.email.mailers import Mailer
from services.email.outgoing import ClaimStore, Mail, OutgoingStore, Seal
from services.email.sender import MailSender
from services.email.sending import Backoff
from services.email.store import AddressStore

LEASE = timedelta(seconds=60)
BACKOFF = Backoff(first_delay=timedelta(seconds=30), factor=2, attempts=3)
SEAL = Seal.from_secret(b"a secret only the tests know")


@dataclass
class Clock:
    """Now, as the test says: it starts at the real time (queue_mail stamps mail with it) and moves when told."""

    at: datetime = field(default_factory=utc_now)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, by: timedelta) -> None:
        self.at += by


def a_mail(to: str | None = None, **fields: Any) -> Mail:
    """A mail of its own, to an address of its own unless one is given."""
    values: dict[str, Any] = {
        "id": uuid.uuid4().hex, "to": to or f"user-{uuid.uuid4().hex[:8]}@acme.example", "kind": "verification_code",
        "locale": "en", "subject": "Your verification code", "text": "Your code is 731904.",
        "html": "<p>Your code is <strong>731904</strong>.</p>", **fields}
    return Mail(**values)


class ScriptedMailer:
    """Answers each send with the next of `answers` (a reply, or an error to raise), then with 250 OK; keeps
    every mail it was given. `pause` holds each send that long, for the tests of two senders at once."""

    def __init__(self, *answers: str | Exception, pause: float = 0.0) -> None:
        self.answers, self.pause = list(answers), pause
        self.given: list[Mail] = []

    async def send(self, mail: Mail) -> str:
        self.given.append(mail)
        if self.pause:
            await asyncio.sleep(self.pause)
        answer = self.answers.pop(0) if self.answers else "250 2.0.0 OK"
        if isinstance(answer, Exception):
            raise answer
        return answer


_claims: WeakKeyDictionary[OutgoingStore, ClaimStore] = WeakKeyDictionary()


def a_sender(outgoing: OutgoingStore, mailer: Mailer, clock: Clock, addresses: AddressStore | None = None, *,
             claims: ClaimStore | None = None, seal: Seal = SEAL, backoff: Backoff = BACKOFF) -> MailSender:
    """A sender over `outgoing`. Senders over one store share their claims (in memory unless `claims` is given), as
    the replicas of one deployment do."""
    shared = claims or _claims.setdefault(outgoing, ClaimStore.memory())
    return MailSender(outgoing, shared, addresses or AddressStore.memory(), seal, mailer, backoff, lease=LEASE,
                      now=clock)
