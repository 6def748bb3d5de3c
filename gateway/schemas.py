"""The public API's response shapes: a route answers only the fields named here, whatever a service sends."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.email import DeliveryStatus


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str = Field(examples=["not_found"])
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers a route documents, all in the one error shape."""
    reasons = {400: "Bad request.", 401: "No or invalid token.", 403: "Lacking the role.",
               404: "Unknown, or not yours.", 409: "In conflict with a change made meanwhile.", 413: "Body too large.",
               410: "No longer valid (expired or used).", 414: "Address too long.", 422: "Invalid input.",
               423: "Locked after too many wrong tries.", 429: "Too many requests; see Retry-After.",
               503: "A service is down; see Retry-After."}
    return {status: {"model": ErrorBody, "description": reasons[status]} for status in statuses}


COMMON_ERRORS = errors(400, 401, 403, 413, 414, 422, 503)


class Me(_Shape):
    user_id: str
    email: str
    name: str
    org_id: str
    partner_id: str
    roles: list[str]


class Token(_Shape):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int


class Person(_Shape):
    user_id: str
    name: str
    email: str


class Domain(_Shape):
    name: str
    status: str


class License(_Shape):
    sku: str
    name: str
    total: int
    consumed: int


class Subscription(_Shape):
    id: str
    offer: str
    quantity: int
    status: str
    start: datetime | None = None
    end: datetime | None = None


class OrderView(_Shape):
    number: str
    org_id: str
    org_name: str = ""
    placed_at: datetime
    status: str
    subscription_id: str | None = None


class ReadOnlyAccess(_Shape):
    granted: bool
    expires_at: datetime | None


class AccessGrant(ReadOnlyAccess):
    partner_id: str | None = Field(description="The partner the grant is to: the one managing the customer.")


class GrantRequest(BaseModel):
    expires_at: AwareDatetime | None = Field(None, description="When access ends by itself; null: when revoked.")


class CustomerView(_Shape):
    id: str
    name: str
    country: str
    created_at: datetime | None
    domains: list[Domain]
    sites: list[str]
    licenses: list[License]
    subscriptions: list[Subscription]
    orders: list[OrderView]
    admins: list[Person]
    read_only_access: ReadOnlyAccess


class PhoneNumber(_Shape):
    display: str
    e164: str | None = None


class DeviceSummary(_Shape):
    id: str
    product: str
    serial: str
    mac: str
    status: str


class LastMessage(_Shape):
    kind: str = Field(description="What the message was, e.g. verification_code; empty when not known.")
    status: DeliveryStatus
    at: datetime
    reason: str | None = Field(None, description="The mail provider's words, e.g. an SMTP reply.")


# What became of a message: a provider's report (DeliveryStatus), or `failed` when the service gave up sending it.
MessageStatus = Literal["queued", "sent", "delivered", "deferred", "bounced", "complained", "suppressed", "failed"]


class RecentMessage(_Shape):
    kind: str = Field(description="What the message was, e.g. verification_code; empty when not known.")
    subject: str = Field(description="Its subject; empty when a mail provider reported on it without one.")
    status: MessageStatus = Field(description="queued (waiting to be sent), sent (the mail server accepted it), "
                                              "deferred (it will be tried again), failed (it was given up), "
                                              "suppressed (not sent: the address is on the suppression list), or "
                                              "a mail provider's report: delivered, bounced, complained.")
    at: datetime = Field(description="When it came to this status.")
    reason: str | None = Field(None, description="The mail server's reply (e.g. `250 2.0.0 OK`, `421 try again "
                                                 "later`) or the provider's words; null when there was none.")


class Suppression(_Shape):
    reason: str
    since: datetime


class EmailStatus(_Shape):
    address: str
    last_message: LastMessage | None = Field(description="The last message a mail provider reported on.")
    messages: list[RecentMessage] = Field(default_factory=list, description=(
        "The recent messages to this address, newest first (at most 20): those the help desk sent, each at its "
        "latest status, and the mail providers' reports on the address."))
    suppressed: bool = Field(description="Whether mail to this address is held back until an agent removes it.")
    suppression: Suppression | None


class UserView(_Shape):
    id: str
    org_id: str
    org_name: str
    first_name: str
    last_name: str
    display_name: str
    email_address: str
    phone_numbers: list[PhoneNumber]
    status: str
    roles: list[str]
    licenses: list[str]
    features: dict[str, bool]
    locale: str = Field("en", description="The language of the mail the user gets: en or it.")
    devices: list[DeviceSummary]
    email: EmailStatus | None = Field(description="Delivery status of the user's mail and whether it is suppressed; "
                                                  "null while the email service is unavailable.")


class DeviceView(_Shape):
    id: str
    org_id: str
    org_name: str
    product: str
    serial: str
    mac: str
    sip_address: str | None = None
    owner_place: str | None = None
    owner: Person | None = None
    status: str


class Interpretation(_Shape):
    kind: str
    value: str


class Matched(_Shape):
    field: str
    value: str


class Hit(_Shape):
    id: str
    org_id: str
    title: str
    subtitle: str
    matched: Matched
    match: str | None = Field(None, description="How closely it matched: exact, prefix, ...")


class SearchResult(_Shape):
    q: str
    interpretations: list[Interpretation]
    customers: list[Hit]
    users: list[Hit]
    devices: list[Hit]
    orders: list[Hit]


class ImportReport(_Shape):
    accepted: int
    rejected: list[dict[str, Any]]
    rejected_total: int


class HelpdeskAgentEntry(_Shape):
    user_id: str
    name: str
    email: str
    level: Literal["basic", "advanced"]


class DeliveryReport(BaseModel):
    address: str = Field(max_length=320, examples=["jane.doe@acme.example"])
    status: DeliveryStatus = Field(description="A hard bounce is `bounced`, a temporary failure `deferred`.")
    kind: str = Field("", max_length=100, description="What the message was, e.g. verification_code.")
    reason: str | None = Field(None, max_length=1000, examples=["550 5.1.1 The mailbox does not exist"])
    at: AwareDatetime | None = Field(None, description="When it happened; when absent, when the report arrives.")


class OutboxMail(_Shape):
    to: str = Field(examples=["jane.doe@acme.example"])
    subject: str
    text: str = Field(description="The plain text of the mail, as the user would read it.")
    at: AwareDatetime = Field(description="When it was \"sent\".")


class DeliveryReportsRecorded(_Shape):
    accepted: int
    changed: int = Field(description="How many changed an address: a repeat or an older report changes nothing.")


CODE_PROOF = ("A verified code shows that the caller reads this user's mailbox now. It is not enough to reset a "
              "password or credentials, nor to change who administers an organisation.")


class CodeSent(_Shape):
    code_id: str = Field(description="Id of the code, to check what the caller reads back (never the code).")
    expires_at: AwareDatetime = Field(description="When the code stops being accepted: ten minutes after it was "
                                                  "asked for.")
    sent_to: str = Field(description="Where it was sent, masked.", examples=["j***@acme.example"])


class CodeToCheck(BaseModel):
    code: str = Field(min_length=1, max_length=32, description="The code as the caller reads it back; spaces and "
                                                               "dashes do not count.", examples=["123 456"])


class CodeChecked(_Shape):
    verified: bool = Field(description=CODE_PROOF)
