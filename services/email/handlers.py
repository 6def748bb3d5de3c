"""Email's use-cases: record delivery reports, take an address off the suppression list, show an address."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from contracts.email import EmailStatusChanged, SuppressionRemoved
from runtime.logs import current_correlation_id
from runtime.times import utc_now
from runtime.versioned import Decision
from services.email import domain
from services.email.domain import AddressStatus, AddressView, DeliveryReport, Suppression
from services.email.outgoing import OutgoingStore
from services.email.store import AddressStore


async def record_reports(reports: Sequence[DeliveryReport], store: AddressStore, now: datetime | None = None) -> int:
    """Apply the reports in order; return how many changed an address. A repeat or an older report changes
    nothing and announces nothing, so a provider may send the same webhook again."""
    received_at = now or utc_now()
    changed = 0
    for report in reports:
        changed += (await store.change(report.address, _record(report, received_at))).changed
    return changed


def _record(report: DeliveryReport, received_at: datetime) -> Callable[[AddressStatus | None], Decision[AddressStatus]]:
    message = domain.message_of(report, received_at)

    def decide(current: AddressStatus | None) -> Decision[AddressStatus]:
        state = domain.reported(current, report.address, message, dated=report.at is not None)
        if state is None:
            return None
        return state, [EmailStatusChanged(address=report.address, **message.model_dump(),
                                          correlation_id=current_correlation_id())]

    return decide


async def remove_suppression(address: str, store: AddressStore, *, user_id: str | None = None,
                             agent_id: str | None = None, partner_id: str | None = None,
                             now: datetime | None = None) -> AddressView:
    """Take the address off the suppression list so mail reaches it again; NotSuppressed when it was not on it."""
    key, at = domain.address_key(address), now or utc_now()

    def decide(current: AddressStatus | None) -> Decision[AddressStatus]:
        return domain.unsuppressed(current, at), [
            SuppressionRemoved(address=key, user_id=user_id, agent_id=agent_id, partner_id=partner_id,
                               correlation_id=current_correlation_id())]

    return domain.view(key, (await store.change(key, decide)).record)


async def address_status(address: str, store: AddressStore, outgoing: OutgoingStore) -> AddressView:
    """The address's last report, its recent messages (sent here or reported on) and its suppression."""
    key = domain.address_key(address)
    sent = [message.seen() for message in await outgoing.sent_to(key)]
    return domain.view(key, await store.get(key), sent)


async def suppression(address: str, store: AddressStore) -> Suppression:
    """Why and since when the address is suppressed; NotSuppressed when it is not."""
    return domain.suppression_of(await store.get(domain.address_key(address)))
