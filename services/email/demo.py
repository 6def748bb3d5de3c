"""The demo's mail: Jane's welcome message was delivered; René's bounced hard, so his address is suppressed."""

from __future__ import annotations

from services.email import handlers
from services.email.domain import DeliveryReport
from services.email.store import AddressStore

REPORTS = (
    {"address": "jane.doe@acme.example", "status": "delivered", "kind": "welcome", "at": "2024-05-02T08:15:00Z"},
    {"address": "rene.lefevre@bistro.example", "status": "bounced", "kind": "welcome",
     "reason": "550 5.1.1 The mailbox does not exist", "at": "2024-05-02T08:16:00Z"},
)


async def seed(store: AddressStore) -> None:
    """Record the demo's reports as a provider would send them. They carry their own times, so seeding again is a
    repeat that changes nothing, and an agent's later removal of René's suppression stays removed."""
    await handlers.record_reports([DeliveryReport.model_validate(r) for r in REPORTS], store)
