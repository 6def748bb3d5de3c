"""The public API's response shapes: a route answers only the fields named here, whatever a service sends."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

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
               410: "No longer valid (expired or used).", 414: "Address too long.",
               415: "A body that is not JSON (Content-Type: application/json).", 422: "Invalid input.",
               423: "Locked after too many wrong tries.", 429: "Too many requests; see Retry-After.",
               503: "A service is down; see Retry-After."}
    return {status: {"model": ErrorBody, "description": reasons[status]} for status in statuses}


COMMON_ERRORS = errors(400, 401, 403, 413, 414, 415, 422, 503)


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


class CustomerReadOnlyAccess(ReadOnlyAccess):
    """The customer's grant of read-only access to the agent's partner, as the agent sees it on the customer."""

    since: datetime | None = Field(None, description="When the standing grant was given; null when not granted.")
    why_not: Literal["never_granted", "revoked", "expired"] | None = Field(
        None, description="When not granted: never granted to your partner, revoked, or expired.")
    full_admin_request: AccessRequestEntry | None = Field(
        None, description="The newest pending or open (approved, within its hour) request of the agent's partner for "
                          "temporary full admin access to this customer; null when there is none.")


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
    read_only_access: CustomerReadOnlyAccess
    phone_numbers: list[PhoneNumber] = Field(default_factory=list, description="The customer's own numbers: its "
                                             "main numbers and those not assigned to anyone.")


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
    phone_numbers: list[PhoneNumber] = Field(default_factory=list, description="The device's line numbers.")


class Interpretation(_Shape):
    kind: str
    value: str


class Matched(_Shape):
    field: str
    value: str


class Hit(_Shape):
    id: str
    org_id: str
    org_name: str | None = Field(None, description="The name of the customer: for a customer hit, its own name; "
                                                    "null while search does not know the customer yet.")
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


class AuditAgent(_Shape):
    id: str = Field(description="User id of the agent.", examples=["u-agent"])
    email: str | None = Field(description="The agent's e-mail when they acted; null when not recorded.",
                              examples=["agent@northwind.example"])


class AuditTarget(_Shape):
    type: str = Field(examples=["user", "customer", "device", "order", "search", "read_only_session"])
    id: str = Field(description="Id of what was touched (an order's number); for a search, the text searched for.")


class AuditEntry(_Shape):
    at: AwareDatetime = Field(description="When the agent did it.")
    agent: AuditAgent
    action: str = Field(description="What the agent did: `<target type>.<verb>`, or `search`.",
                        examples=["user.viewed", "user.code_sent", "search"])
    target: AuditTarget
    reason: str | None = Field(description="Why, in the agent's words, for an action that asks for a reason.")
    correlation_id: str = Field(description="Id of the request the action was part of.")
    org_id: str = Field(description="The customer org it touched; empty for a search across customers.")


class AuditLog(_Shape):
    entries: list[AuditEntry] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; null on the last page.")


class AuditFilters(BaseModel):
    agent: str | None = Field(None, min_length=1, max_length=320, description="Only this agent's actions: their "
                                                                               "user id or e-mail address.")
    action: str | None = Field(None, min_length=1, max_length=100, description="Only this action.",
                               examples=["user.viewed"])
    since: AwareDatetime | None = Field(None, description="Only actions at or after this time.")
    until: AwareDatetime | None = Field(None, description="Only actions before this time.")
    cursor: str | None = Field(None, max_length=200, description="The `next_cursor` of the page before.")
    limit: int = Field(50, ge=1, le=200, description="At most this many entries.")


class PartnerAuditFilters(AuditFilters):
    org_id: str | None = Field(None, min_length=1, max_length=256, description="Only in this customer org.")


AccessReason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class AccessRequestBody(BaseModel):
    reason: AccessReason = Field(description="Why you need full admin access: a ticket number or a sentence. The "
                                             "customer's admins read it.", examples=["Ticket 4711: licence change"])


class AccessRequestAsked(_Shape):
    request_id: str
    expires_at: AwareDatetime = Field(description="When the request lapses if no admin of the customer answers.")


class AccessRequestEntry(_Shape):
    request_id: str
    agent: str = Field(description="The name of the agent asking.", examples=["Ava Advanced"])
    partner: str = Field(description="The agent's partner.", examples=["Northwind Partners"])
    reason: str = Field(description="Why, in the agent's words.")
    status: Literal["pending", "approved", "denied", "expired", "ended"] = Field(
        description="pending (waiting for an answer, an hour at most), approved (the agent has full admin access "
                    "until expires_at), denied, expired (nobody answered in time), ended (its hour passed, or an "
                    "admin ended it).")
    expires_at: AwareDatetime = Field(description="When it lapses (pending), or when its access ends or ended.")


class AdminSessionOpened(_Shape):
    session_id: str
    token: str = Field(description="Send it as the X-Admin-Session header, with your own sign-in, on "
                                   "/api/v1/admin/{org_id}/… routes; it opens nothing else.")
    expires_at: AwareDatetime = Field(description="When the customer's approval ends at the latest.")


class AdminUserChange(BaseModel):
    """A change of a user by an agent with full admin access; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["active", "pending", "inactive"] | None = None
    licenses: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] | None = Field(
        None, max_length=100, description="The user's whole list of licence SKUs; each one the customer holds.")
    features: dict[Annotated[str, StringConstraints(min_length=1, max_length=100)], bool] | None = Field(
        None, max_length=100, description="Only the features to turn on (true) or off (false), by name.")


class AdminUser(_Shape):
    id: str
    org_id: str
    display_name: str
    status: str
    licenses: list[str]
    features: dict[str, bool]


# Read-only sessions: an agent opens a customer's org as its own admins see it, under the customer's grant.
class ReadOnlySessionRequest(BaseModel):
    reason: str = Field(max_length=1000, description="Why you open the customer's org: a ticket number or a "
                                                     "sentence. The customer's admins read it in their audit log.",
                        examples=["Ticket 4711: caller cannot join meetings"])

    @field_validator("reason")
    @classmethod
    def _given(cls, reason: str) -> str:
        if not reason.strip():
            raise ValueError("give a ticket number or a sentence saying why you open the customer's org")
        return reason.strip()


class ReadOnlySessionOpened(_Shape):
    session_id: str
    token: str = Field(description="Opens only this customer's /api/v1/read-only/{org_id}/... routes, as a bearer "
                                   "token; shown once.")
    expires_at: AwareDatetime = Field(description="15 minutes from now; it ends sooner if the customer revokes "
                                                  "access, the grant expires or you lose the Help Desk role.")


_NEXT_CURSOR = "Pass it as `cursor` for the next page; null on the last page."


class ReadOnlyUser(_Shape):
    id: str
    display_name: str
    first_name: str
    last_name: str
    email: str
    phone_numbers: list[PhoneNumber]
    status: str
    roles: list[str]
    licenses: list[str]
    features: dict[str, bool]


class ReadOnlyUsers(_Shape):
    items: list[ReadOnlyUser] = Field(description="By id.")
    next_cursor: str | None = Field(description=_NEXT_CURSOR)


class ReadOnlyDevice(_Shape):
    id: str
    product: str
    serial: str
    mac: str
    sip_address: str | None = None
    owner_user_id: str | None = None
    owner_place: str | None = None
    status: str
    phone_numbers: list[PhoneNumber] = Field(default_factory=list, description="The device's line numbers.")


class ReadOnlyDevices(_Shape):
    items: list[ReadOnlyDevice] = Field(description="By id.")
    next_cursor: str | None = Field(description=_NEXT_CURSOR)


class ReadOnlyLicenses(_Shape):
    items: list[License] = Field(description="The customer's licences, by SKU.")
    next_cursor: str | None = Field(description=_NEXT_CURSOR)
    subscriptions: list[Subscription] = Field(description="The customer's subscriptions (on every page).")


class FeatureUse(_Shape):
    enabled: int = Field(description="How many of the customer's users have it enabled.")
    disabled: int = Field(description="How many have it disabled.")


class ReadOnlySettings(_Shape):
    id: str
    name: str
    country: str
    created_at: datetime | None
    domains: list[Domain]
    sites: list[str]
    phone_numbers: list[PhoneNumber] = Field(default_factory=list, description="The customer's own numbers: its "
                                             "main numbers and those not assigned to anyone.")
    users: int = Field(description="How many users the customer has.")
    devices: int = Field(description="How many devices.")
    features: dict[str, FeatureUse] = Field(description="Each feature set on any user, and how many use it.")
