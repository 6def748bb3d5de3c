"""The mail queue: each outgoing message once by its id, its body sealed until it is sent, failed or suppressed."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, ConfigDict, Field

from contracts import Event
from runtime import logs, tracing
from runtime.documents import Documents
from runtime.times import utc_now
from runtime.versioned import Versioned, VersionedStore
from services.email.domain import Address, RecentMessage

Locale = Literal["en", "it"]
SendStatus = Literal["queued", "deferred", "sent", "suppressed", "failed"]
WAITING: frozenset[str] = frozenset({"queued", "deferred"})
# Messages to one address read for its view; the documents' find has no order, so this bounds what is sorted.
ADDRESS_HISTORY = 1000


class Mail(BaseModel):
    """One mail to queue: the id makes queueing it twice a repeat (a redelivered event sends one mail)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=256)
    to: Address
    kind: str = Field(max_length=100, description="What the mail is, e.g. verification_code.")
    locale: Locale
    subject: str = Field(max_length=300, pattern=r"^[^\r\n]*$")  # stored readable: it names a mail, never its secret
    text: str
    html: str


class BodyUnreadable(ValueError):
    """A sealed body this process cannot open: sealed with another secret, or altered."""


class Seal:
    """Seals mail bodies, so a copy of the database does not give away what a pending mail says (a code)."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_secret(cls, secret: bytes) -> Seal:
        """The seal every replica given the same secret shares; its key serves nothing else."""
        if not secret:
            raise ValueError("a seal needs a secret")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"helpdesk email: mail bodies").derive(secret)
        return cls(base64.urlsafe_b64encode(key))

    @classmethod
    def of_this_process(cls) -> Seal:
        """A seal no other process shares: what it sealed cannot be opened by another, nor after a restart."""
        return cls(Fernet.generate_key())

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as error:
            raise BodyUnreadable("the mail's body was sealed with another secret, or altered") from error


class OutgoingMessage(Versioned):
    """A message the service sends, from queued to sent, failed or suppressed (deferred on the way when a try
    failed in a way that may pass). Only the sender that holds the current `claim` records what became of it."""

    id: str
    to: str
    kind: str
    locale: Locale
    subject: str
    sealed_body: str | None = Field(description="Text and HTML, sealed; None once nothing is left to send.")
    status: SendStatus = "queued"
    queued_at: datetime
    at: datetime = Field(description="When the status last changed.")
    reason: str | None = Field(None, description="The mail server's reply, or why it was not sent.")
    attempts: int = 0
    due_at: datetime | None = Field(None, description="When to try again; None: at once.")
    waiting: bool = Field(True, description="Queued or deferred: indexed, so senders find what is left to send.")
    claim: str | None = None
    claimed_at: datetime | None = None
    traceparent: str = Field("", description="The trace of what queued it, so its sending is logged in that trace.")
    correlation_id: str = Field("", description="The correlation id of the request that queued it, so every line its "
                                                "sending logs carries it.")

    def seen(self) -> RecentMessage:
        return RecentMessage(kind=self.kind, subject=self.subject, status=self.status, at=self.at, reason=self.reason)


def seal_body(mail: Mail, seal: Seal) -> str:
    return seal.seal(json.dumps({"text": mail.text, "html": mail.html}))


def opened(message: OutgoingMessage, seal: Seal) -> Mail:
    """The mail as it was queued; BodyUnreadable when its body cannot be opened, or is gone."""
    if message.sealed_body is None:
        raise BodyUnreadable("the mail's body is gone: it was already settled")
    body = json.loads(seal.open(message.sealed_body))
    return Mail(id=message.id, to=message.to, kind=message.kind, locale=message.locale, subject=message.subject,
                text=body["text"], html=body["html"])


class OutgoingStore(VersionedStore[OutgoingMessage]):
    """Outgoing messages keyed by their id, found by address (`to`) and by whether they wait to be sent."""

    model = OutgoingMessage
    collection = "outgoing"
    indexes = ("to", "waiting")

    def __init__(self, documents: Documents) -> None:
        super().__init__(documents)
        self._on_queued: list[Callable[[], None]] = []

    def when_queued(self, wake: Callable[[], None]) -> None:
        """Call `wake` whenever this process queues a mail: the sender and the outbox relay start at once."""
        self._on_queued.append(wake)

    def queued(self) -> None:
        for wake in self._on_queued:
            wake()

    async def waiting_messages(self, limit: int = 500) -> list[OutgoingMessage]:
        return [self.model.model_validate(doc) for doc in await self.documents.find({"waiting": True}, limit)]

    async def sent_to(self, address: str) -> list[OutgoingMessage]:
        """Messages to the address (its key), newest first."""
        found = [self.model.model_validate(doc) for doc in await self.documents.find({"to": address}, ADDRESS_HISTORY)]
        return sorted(found, key=lambda message: message.at, reverse=True)


class SendingClaim(Versioned):
    """A sender's claim on one message as it stood at one version: only one sender can make it."""

    message_id: str
    token: str
    at: datetime


class ClaimStore(VersionedStore[SendingClaim]):
    """Claims keyed `<message id>@<version>`. A claim is made by inserting its document, which only one writer can
    do, on FerretDB as on MongoDB; a conditional update is not enough on FerretDB 1.24, where two concurrent
    updates of one version may both succeed."""

    model = SendingClaim
    collection = "sending_claims"


async def queue_mail(mail: Mail, store: OutgoingStore, seal: Seal, events: Sequence[Event] = ()) -> bool:
    """Queue `mail` for sending, its body sealed, with `events` in the same write (the outbox relay publishes
    them). False, with nothing written nor announced, when a mail with this id was queued before."""
    now = utc_now()
    message = OutgoingMessage(id=mail.id, to=mail.to, kind=mail.kind, locale=mail.locale, subject=mail.subject,
                              sealed_body=seal_body(mail, seal), queued_at=now, at=now,
                              traceparent=tracing.current_traceparent(), correlation_id=logs.correlation_id.get())
    outcome = await store.change(mail.id, lambda current: (message, events) if current is None else None)
    if outcome.changed:
        store.queued()
    return outcome.changed
