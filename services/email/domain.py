"""Delivery status per address and the suppression list: pure rules, no I/O.

Each address keeps the last message a mail provider reported on. A hard bounce (`bounced`; a temporary failure
is `deferred`) or a complaint puts the address on the suppression list until an agent takes it off. Reports arrive
late, twice and out of order, so one is applied only if it is newer than what the address already knows, and a
report from before an agent removed the suppression never puts it back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

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


class Suppression(BaseModel):
    model_config = ConfigDict(frozen=True)

    reason: str
    since: datetime


class AddressStatus(Versioned):
    address: str
    last_message: LastMessage | None = None
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
    return state.model_copy(update={"last_message": message, "suppression": _suppression(state, message)})


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
    """What an agent sees of an address: its last message and whether, and why, it is suppressed."""

    address: str
    last_message: LastMessage | None
    suppressed: bool
    suppression: Suppression | None


def view(address: str, state: AddressStatus | None) -> AddressView:
    suppression = state.suppression if state else None
    return AddressView(address=address, last_message=state.last_message if state else None,
                       suppressed=suppression is not None, suppression=suppression)
