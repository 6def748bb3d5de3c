"""The gateway's role projection and how it combines with what a token says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.identity import RoleAssigned, RoleRevoked
from gateway.auth import principal_from
from gateway.roles import RoleProjection

pytestmark = pytest.mark.unit

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def assigned(role: str, at: datetime = T0, user_id: str = "u-agent") -> RoleAssigned:
    return RoleAssigned(user_id=user_id, org_id="p-northwind", role=role, partner_id="p-northwind", occurred_at=at)


def revoked(role: str, at: datetime = T0, user_id: str = "u-agent") -> RoleRevoked:
    return RoleRevoked(user_id=user_id, org_id="p-northwind", role=role, partner_id="p-northwind", occurred_at=at)


async def test_an_assigned_role_is_held_until_it_is_revoked() -> None:
    roles = RoleProjection()

    await roles.apply(assigned("helpdesk"))
    held = roles.roles_of("u-agent")
    await roles.apply(revoked("helpdesk", T0 + timedelta(seconds=1)))

    assert held == {"helpdesk"}
    assert roles.roles_of("u-agent") == frozenset()
    assert roles.partner_of("u-agent") == "p-northwind"


async def test_an_older_event_delivered_again_changes_nothing() -> None:
    roles = RoleProjection()
    first = assigned("helpdesk")

    await roles.apply(first)
    await roles.apply(revoked("helpdesk", T0 + timedelta(seconds=1)))
    await roles.apply(first)

    assert roles.roles_of("u-agent") == frozenset()


async def test_roles_that_are_not_partner_roles_are_ignored() -> None:
    roles = RoleProjection()

    await roles.apply(assigned("operator"))

    assert roles.roles_of("u-agent") == frozenset()


async def test_partner_roles_come_from_the_projection_and_other_roles_from_the_token() -> None:
    roles = RoleProjection()
    await roles.apply(assigned("partner_admin"))
    claims = {"sub": "u-agent", "email": "agent@northwind.example", "partner_id": "p-forged",
              "roles": ["helpdesk_advanced", "customer_admin"]}

    principal = principal_from(claims, roles)

    assert principal.roles == {"partner_admin", "customer_admin"}
    assert principal.partner_id == "p-northwind"
    assert not principal.has("helpdesk")


async def test_helpdesk_advanced_implies_helpdesk() -> None:
    roles = RoleProjection()
    await roles.apply(assigned("helpdesk_advanced"))

    principal = principal_from({"sub": "u-agent"}, roles)

    assert principal.has("helpdesk")
    assert principal.has("helpdesk_advanced")
