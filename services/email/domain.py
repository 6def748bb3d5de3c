"""Delivery status per address and the suppression list: pure rules, no I/O.

Each address keeps the last message a mail provider reported on. A hard bounce (`bounced`; a temporary failure
is `deferred`) or a complaint puts the address on the suppression list until an agent takes it off. Reports arrive
late, twice and out of order, so one is applied only if it is newer than what the address already knows, and a
report from before an agent removed the suppression never puts it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from contracts.email import DeliveryStatus
from runtime import addresses
from runtime.times import UtcTime
from runtime.versioned import Versioned

# What puts an address on the suppression list, and the reason given when the report names none.
SUPPRESSING: dict[str, str] = {"bounced": "hard bounce", "complained": "spam complaint"}


class NotSuppressed(LookupError):
    """The address is not on the suppression list."""


class InvalidAddress(ValueError):
    """Not an e-mail address; the message says what is wrong with it."""


def address_key(value: str) -> str:
    """The one form an address is kept and announced under, whatever the case it was written in."""
    try:
        return addresses.normalized(value.strip()).lower()
    except ValueError as error:
        raise InvalidAddress(f"{value!r} is not an e-mail address: {error}") from error


Address = Annotated[str, Field(max_length=320), AfterValidator(address_key)]


class DeliveryReport(BaseModel):
    """One delivery report, as a mail provider's webhook sends it."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    address: Address
    status: DeliveryStatus
    kind: str = Field("", max_length=100, description="What the message was, e.g. verification_code.")
    reason: str | None = Field(None, max_length=1000, description="The provider's words, e.g. an SMTP reply.")
    at: UtcTime | None = Field(None, description="When it happened; when absent, when the report arrived.")


class LastMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    status: DeliveryStatus
    at: datetime
    reason: str | None = None


# Every state a message to an address can be in: a provider's report (DeliveryStatus), or `failed`, which only the
# service's own sending reaches (it gave up) and which no event carries.
MessageStatus = Literal["queued", "sent", "delivered", "deferred", "bounced", "complained", "suppressed", "failed"]
RECENT_MESSAGES = 20


class RecentMessage(BaseModel):
    """One of an address's recent messages as an agent sees it: sent by this service, or reported by a provider."""

    model_config = ConfigDict(frozen=True)

    kind: str = Field(description="What the message was, e.g. verification_code; empty when not known.")
    subject: str = Field("", description="Its subject; empty for a provider's report, which does not give it.")
    status: MessageStatus
    at: datetime = Field(description="When it came to this status.")
    reason: str | None = Field(None, description="The mail server's reply or the provider's words.")


class Suppression(BaseModel):
    model_config = ConfigDict(frozen=True)

    reason: str
    since: datetime


class AddressStatus(Versioned):
    address: str
    last_message: LastMessage | None = None
    # The reports before the last one, newest first: with it, the address's recent reports.
    earlier: tuple[LastMessage, ...] = ()
    suppression: Suppression | None = None
    suppression_removed_at: datetime | None = None


def message_of(report: DeliveryReport, received_at: datetime) -> LastMessage:
    return LastMessage(kind=report.kind, status=report.status, at=report.at or received_at, reason=report.reason)


def reported(current: AddressStatus | None, address: str, message: LastMessage, *, dated: bool = True
             ) -> AddressStatus | None:
    """The address after a report of `message`; None when it is a repeat or older than what the address knows.

    A report without a time of its own (`dated` false: its arrival stands in) that says what the last one said is
    taken for a repeat: a provider sending it again must not make an old bounce new, nor suppress again an
    address an agent took off the list since."""
    state = current or AddressStatus(address=address)
    last = state.last_message
    if last is not None and (message.at < last.at or message == last or (not dated and _same_news(message, last))
                             or (message.at == last.at and STAGE[message.status] <= STAGE[last.status])):
        return None
    # A report of the same moment as the last replaces it, as it would have if it had come first.
    earlier = (last, *state.earlier)[:RECENT_MESSAGES - 1] if last is not None and last.at != message.at else (
        state.earlier)
    return state.model_copy(update={"last_message": message, "earlier": earlier,
                                    "suppression": _suppression(state, message)})


# Two reports of the same moment: the one further along a message's life stands, whichever arrives last, so
# retries of both cannot make the address flip between them.
STAGE: dict[str, int] = {status: n for n, status in enumerate(
    ("queued", "sent", "deferred", "delivered", "bounced", "complained", "suppressed"))}


def _same_news(message: LastMessage, last: LastMessage) -> bool:
    return (message.kind, message.status, message.reason) == (last.kind, last.status, last.reason)


def _suppression(state: AddressStatus, message: LastMessage) -> Suppression | None:
    if state.suppression is not None or message.status not in SUPPRESSING:
        return state.suppression
    if state.suppression_removed_at is not None and message.at <= state.suppression_removed_at:
        return None  # the agent who removed the suppression already knew of this failure
    return Suppression(reason=message.reason or SUPPRESSING[message.status], since=message.at)


def unsuppressed(current: AddressStatus | None, now: datetime) -> AddressStatus:
    """The address taken off the suppression list; NotSuppressed when it is not on it."""
    suppression_of(current)
    assert current is not None
    return current.model_copy(update={"suppression": None, "suppression_removed_at": now})


def suppression_of(current: AddressStatus | None) -> Suppression:
    """Why and since when the address is on the suppression list; NotSuppressed when it is not on it."""
    if current is None or current.suppression is None:
        raise NotSuppressed
    return current.suppression


class AddressView(BaseModel):
    """What an agent sees of an address: its last message, its recent ones and whether, and why, it is suppressed."""

    address: str
    last_message: LastMessage | None
    messages: list[RecentMessage] = Field(description="Recent messages, newest first: those the service sent and "
                                                      "those a provider reported on.")
    suppressed: bool
    suppression: Suppression | None


def view(address: str, state: AddressStatus | None, sent: Sequence[RecentMessage] = ()) -> AddressView:
    """The address as an agent sees it, with `sent`, the service's own recent messages to it."""
    suppression = state.suppression if state else None
    reports = (state.last_message, *state.earlier) if state and state.last_message else ()
    messages = [*sent, *(RecentMessage.model_validate(report.model_dump()) for report in reports)]
    return AddressView(address=address, last_message=state.last_message if state else None,
                       messages=sorted(messages, key=lambda message: message.at, reverse=True)[:RECENT_MESSAGES],
                       suppressed=suppression is not None, suppression=suppression)
