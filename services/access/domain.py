"""Customers' grants of read-only access to their partner: pure rules, no I/O.

A grant belongs to the partner that managed the customer when it was given, and lasts until it is revoked or its
`expires_at` passes. Expiry is decided here, by whoever reads a grant, never by the database that keeps it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, computed_field

from runtime.versioned import Versioned


class ExpiryInPast(ValueError):
    """A grant that would have expired before it was given."""


class Grant(Versioned):
    org_id: str
    partner_id: str
    granted_by: str
    granted_at: datetime
    expires_at: datetime | None = None
    revoked_by: str | None = None
    revoked_at: datetime | None = None
    expired_at: datetime | None = None  # when its end at `expires_at` was announced (AccessExpired), once

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def expiry_pending(self) -> bool:
        """Whether its end at `expires_at` is still to be announced: stored with it (and indexed), so the access
        service's timer finds the grants it has to watch without reading every grant."""
        return self.revoked_at is None and self.expired_at is None and self.expires_at is not None


class AccessStatus(BaseModel):
    """What a customer's grant means for one partner now."""

    model_config = ConfigDict(frozen=True)

    granted: bool
    partner_id: str | None
    expires_at: datetime | None


def granted(current: Grant | None, org_id: str, partner_id: str, by: str, expires_at: datetime | None,
            now: datetime) -> Grant | None:
    """The grant after `by` gives `partner_id` access until `expires_at` (None: until revoked); None when that is
    already so. A grant to another partner, from before the customer moved, is replaced."""
    if expires_at is not None and expires_at <= now:
        raise ExpiryInPast(expires_at)
    if current is not None and current.active(now) and (current.partner_id, current.expires_at) == (
            partner_id, expires_at):
        return None
    return Grant(org_id=org_id, partner_id=partner_id, granted_by=by, granted_at=now, expires_at=expires_at)


def revoked(current: Grant | None, by: str, now: datetime) -> Grant | None:
    """The grant after `by` revokes it; None when there is no active grant to revoke."""
    if current is None or not current.active(now):
        return None
    return current.model_copy(update={"revoked_by": by, "revoked_at": now})


LEFT_THE_PARTNER = "customer left the partner"
"""Who revoked a grant that ended because the customer stopped being managed by the partner it was given to."""


def left(current: Grant | None, partner_id: str | None, changed_at: datetime, now: datetime) -> Grant | None:
    """The grant after the customer came to be managed by `partner_id` (None: the customer is gone) at
    `changed_at`; None when that leaves it as it is. A grant is to the partner that managed the customer when it
    was given: it ends when the customer leaves that partner, and so does not come back if the customer returns.
    A change from before the grant was given (a consumer reading old events) never ends it."""
    if current is None or current.partner_id == partner_id or changed_at < current.granted_at:
        return None
    return revoked(current, LEFT_THE_PARTNER, now)


def status(grant: Grant | None, now: datetime, partner_id: str | None = None) -> AccessStatus:
    """Whether access stands now, for `partner_id` if given (a grant to any other partner does not count)."""
    if grant is None or not grant.active(now) or (partner_id is not None and partner_id != grant.partner_id):
        return AccessStatus(granted=False, partner_id=partner_id, expires_at=None)
    return AccessStatus(granted=True, partner_id=grant.partner_id, expires_at=grant.expires_at)
