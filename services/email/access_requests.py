"""Mail a customer's admins an agent's request for full admin access, each in their own language, once."""

from __future__ import annotations

import hashlib
import logging

from contracts.access import AccessRequested, AdminRecipient
from services.email import templates
from services.email.domain import InvalidAddress, address_key
from services.email.outgoing import Locale, Mail, OutgoingStore, Seal, queue_mail

KIND = "access_request"
log = logging.getLogger(__name__)


def mail_id(request_id: str, address: str) -> str:
    """One mail per request and admin: a redelivered request finds its mails queued and queues none again."""
    digest = hashlib.sha256(f"{request_id}\n{address_key(address)}".encode()).hexdigest()[:32]
    return f"{KIND}:{digest}"


def _mail(event: AccessRequested, admin: AdminRecipient) -> Mail:
    subject, text, html = templates.access_request(event.agent_name, event.partner_name or event.partner_id or "",
                                                   event.reason, admin.name, admin.locale)
    locale: Locale = "it" if templates.language(admin.locale) == "it" else "en"
    return Mail(id=mail_id(event.request_id, admin.address), to=admin.address, kind=KIND, locale=locale,
                subject=subject, text=text, html=html)


async def mail_admins(event: AccessRequested, outgoing: OutgoingStore, seal: Seal) -> int:
    """Queue one mail to each admin the request names; how many were queued now (none on a redelivery)."""
    queued = 0
    for admin in event.admins:
        try:
            mail = _mail(event, admin)
        except InvalidAddress:
            # One admin's bad address must not keep the request from the others (nor dead-letter it).
            log.warning("access request not mailed to an invalid address", extra={"request_id": event.request_id})
            continue
        queued += await queue_mail(mail, outgoing, seal)
    return queued
