"""Real objects for tests: identity entities and the events that carry them."""

from __future__ import annotations

from typing import Any

from contracts.identity import Org, OrgUpserted, User, UserUpserted


def user(id: str = "u1", org_id: str = "o1", version: int = 1, **fields: Any) -> User:
    values: dict[str, Any] = {"email": f"{id}@example.com", "first_name": "Jane", "last_name": "Doe"} | fields
    return User(id=id, org_id=org_id, version=version, **values)


def user_upserted(partner_id: str = "p1", **fields: Any) -> UserUpserted:
    return UserUpserted(user=user(**fields), partner_id=partner_id)


def org(id: str = "o1", partner_id: str = "p1", version: int = 1, **fields: Any) -> Org:
    return Org(id=id, partner_id=partner_id, version=version, **({"name": "Acme"} | fields))


def org_upserted(**fields: Any) -> OrgUpserted:
    made = org(**fields)
    return OrgUpserted(org=made, partner_id=made.partner_id)
