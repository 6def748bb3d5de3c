"""Email's subscriptions: the gateway's CodeRequested makes the code and mails it; an agent's AccessRequested is
mailed to the customer's admins."""

from __future__ import annotations

from functools import partial

from contracts.access import AccessRequested
from contracts.gateway import CodeRequested
from runtime.bus import Subscription, subscribe
from services.email import access_requests, verification
from services.email.outgoing import OutgoingStore, Seal
from services.email.store import CodeStore
from services.email.verification import CodeRules


def subscriptions(codes: CodeStore, outgoing: OutgoingStore, seal: Seal, rules: CodeRules) -> list[Subscription]:
    issue = partial(verification.issue_code, store=codes, outgoing=outgoing, seal=seal, rules=rules)
    ask_admins = partial(access_requests.mail_admins, outgoing=outgoing, seal=seal)
    return [subscribe("email", {CodeRequested: issue, AccessRequested: ask_admins})]
