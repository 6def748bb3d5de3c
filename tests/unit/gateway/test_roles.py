"""The gateway's role projection, the claims it reads from a token, and how the two make a principal."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.identity import RoleAssigned, RoleRevoked
from gateway.auth import Claims, claims_of, principal_from
from gateway.roles import RoleProjection
from runtime.web import ApiError

pytestmark = pytest.mark.unit

NORTHWIND, CONTOSO = "p-northwind", "p-contoso"


def assigned(role: str, version: int, roles: tuple[str, ...] | None = None, org: str = NORTHWIND,
             partner: str = NORTHWIND, user_id: str = "u-agent") -> RoleAssigned:
    return RoleAssigned(user_id=user_id, org_id=org, role=role, partner_id=partner, user_version=version,
                        roles=(role,) if roles is None else roles, user_org_id=org, user_partner_id=partner)


def revoked(role: str, version: int, roles: tuple[str, ...] = (), org: str = NORTHWIND, partner: str = NORTHWIND,
            now_org: str | None = None, now_partner: str | None = None) -> RoleRevoked:
    return RoleRevoked(user_id="u-agent", org_id=org, role=role, partner_id=partner, user_version=version,
                       roles=roles, user_org_id=now_org or org, user_partner_id=now_partner or partner)


def claims(**given: Any) -> Claims:
    return Claims.model_validate({"sub": "u-agent", "iat": 1_700_000_000, "exp": 1_700_003_600, **given})


class TestProjection:
    async def test_an_assigned_role_is_held_until_it_is_revoked(self) -> None:
        roles = RoleProjection()

        await roles.apply(assigned("helpdesk", 1))
        held = roles.roles_of("u-agent")
        await roles.apply(revoked("helpdesk", 2))

        assert held == {"helpdesk"}
        assert roles.roles_of("u-agent") == frozenset()

    async def test_an_older_state_delivered_again_changes_nothing(self) -> None:
        roles = RoleProjection()
        first = assigned("helpdesk", 1)

        await roles.apply(first)
        await roles.apply(revoked("helpdesk", 2))
        await roles.apply(first)

        assert roles.roles_of("u-agent") == frozenset()

    async def test_the_last_announcement_of_a_change_says_every_role_the_user_holds(self) -> None:
        roles = RoleProjection()

        await roles.apply(assigned("helpdesk", 3, roles=("helpdesk", "partner_admin")))

        assert roles.roles_of("u-agent") == {"helpdesk", "partner_admin"}

    async def test_a_user_moved_to_another_partner_holds_roles_only_there(self) -> None:
        roles = RoleProjection()
        await roles.apply(assigned("helpdesk", 1))

        await roles.apply(revoked("helpdesk", 2, roles=("helpdesk",), now_org=CONTOSO, now_partner=CONTOSO))
        between = roles.standing("u-agent")
        await roles.apply(assigned("helpdesk", 2, org=CONTOSO, partner=CONTOSO))

        assert (between.org_id, between.partner_id) == (CONTOSO, CONTOSO)
        assert roles.standing("u-agent").partner_id == CONTOSO

    async def test_an_announcement_without_the_users_state_grants_nothing(self) -> None:
        roles = RoleProjection()

        await roles.apply(RoleAssigned(user_id="u-agent", org_id=NORTHWIND, role="helpdesk", partner_id=NORTHWIND))

        assert roles.roles_of("u-agent") == frozenset()

    async def test_operators_and_customer_admins_are_held_like_partner_roles(self) -> None:
        roles = RoleProjection()

        await roles.apply(assigned("operator", 1, org="platform", partner="platform"))
        await roles.apply(assigned("customer_admin", 1, org="o-acme", user_id="u-cadmin"))

        assert roles.roles_of("u-agent") == {"operator"}
        assert roles.standing("u-cadmin").org_id == "o-acme"


class TestPrincipal:
    async def test_roles_org_and_partner_come_from_the_projection_not_the_token(self) -> None:
        roles = RoleProjection()
        await roles.apply(assigned("partner_admin", 1))
        token = claims(partner_id="p-forged", org_id="o-forged", roles=["helpdesk_advanced", "operator"])

        principal = principal_from(token, roles)

        assert principal.roles == {"partner_admin"}
        assert (principal.org_id, principal.partner_id) == (NORTHWIND, NORTHWIND)
        assert principal.token_partner_id == "p-forged"
        assert not principal.has("operator")

    async def test_someone_identity_gave_no_role_holds_none_whatever_the_token_says(self) -> None:
        principal = principal_from(claims(roles=["operator", "customer_admin"]), RoleProjection())

        assert principal.roles == frozenset()

    async def test_helpdesk_advanced_implies_helpdesk(self) -> None:
        roles = RoleProjection()
        await roles.apply(assigned("helpdesk_advanced", 1))

        principal = principal_from(claims(), roles)

        assert principal.has("helpdesk")
        assert principal.has("helpdesk_advanced")


class TestClaims:
    @pytest.mark.parametrize("given", [{"roles": "helpdesk"}, {"roles": [1]}, {"sub": 42}, {"sub": ""},
                                       {"email": ["a@b.example"]}, {"partner_id": None}, {"org_id": 7},
                                       {"exp": "tomorrow"}, {"iat": True}])
    def test_a_claim_of_the_wrong_type_is_refused(self, given: dict[str, Any]) -> None:
        raw = {"sub": "u-agent", "iat": 1_700_000_000, "exp": 1_700_003_600, **given}

        with pytest.raises(ApiError) as refused:
            claims_of(raw, max_lifetime=3600)

        assert (refused.value.status, refused.value.code) == (401, "invalid_token")

    def test_a_token_that_lives_longer_than_the_maximum_is_refused(self) -> None:
        raw = {"sub": "u-agent", "iat": 1_700_000_000, "exp": 1_700_000_000 + 3601}

        with pytest.raises(ApiError) as refused:
            claims_of(raw, max_lifetime=3600)

        assert (refused.value.status, refused.value.code) == (401, "invalid_token")

    def test_a_token_within_the_maximum_is_read(self) -> None:
        read = claims_of({"sub": "u-agent", "iat": 1_700_000_000, "exp": 1_700_003_600, "roles": ["helpdesk"]},
                         max_lifetime=3600)

        assert (read.sub, read.roles) == ("u-agent", ["helpdesk"])
