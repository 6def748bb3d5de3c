"""A partner agent's change of a customer's user under full admin access: status, licences, features.

The change is saved like any other user change, so UserUpserted carries it to search and the views. The gateway
has checked the agent's admin session; here the user must be one of that customer's, and the customer one the
agent's partner manages now: anything else is the same UserNotFound as an unknown id, after the same reads.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.identity import Org, User
from services.identity import announcements
from services.identity.domain import UserNotFound
from services.identity.store import Decision, IdentityStore

Sku = Annotated[str, Field(min_length=1, max_length=100)]
FeatureName = Annotated[str, Field(min_length=1, max_length=100)]


class UnknownLicense(ValueError):
    """A licence the customer does not hold cannot be given to one of its users."""

    def __init__(self, sku: str) -> None:
        super().__init__(f"The customer holds no licence {sku!r}: give only licences it holds.")


class UserChange(BaseModel):
    """What an admin changes of a user; a field left out stays as it is. `features` names only the features to
    turn on (true) or off (false); `licenses` is the user's whole list of SKUs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Literal["active", "pending", "inactive"] | None = None
    licenses: list[Sku] | None = Field(None, max_length=100)
    features: dict[FeatureName, bool] | None = Field(None, max_length=100)


def changed(user: User, org: Org, change: UserChange) -> User | None:
    """The user with `change` applied, at their next version; None when that changes nothing."""
    update: dict[str, object] = {}
    if change.status is not None:
        update["status"] = change.status
    if change.licenses is not None:
        held = {license.sku for license in org.licenses}
        unknown = [sku for sku in change.licenses if sku not in held]
        if unknown:
            raise UnknownLicense(unknown[0])
        update["licenses"] = tuple(dict.fromkeys(change.licenses))
    if change.features is not None:
        update["features"] = {**user.features, **change.features}
    after = user.model_copy(update=update)
    return None if after == user else after.model_copy(update={"version": user.version + 1})


def _of_customer(user: User | None, org: Org | None, org_id: str, partner_id: str) -> bool:
    return (user is not None and org is not None and not user.deleted and not org.deleted
            and user.org_id == org_id and org.id == org_id and org.partner_id == partner_id and org.id != partner_id)


async def change_user(org_id: str, user_id: str, partner_id: str, change: UserChange, store: IdentityStore) -> User:
    """Apply an admin's change to a user of the customer `org_id`, managed by `partner_id`; the user as saved.
    UserNotFound for anyone else; UnknownLicense for a licence the customer does not hold."""
    org = await store.get(Org, org_id)
    user = await store.get(User, user_id)
    if not _of_customer(user, org, org_id, partner_id):
        raise UserNotFound(user_id)
    assert org is not None

    async def decide(current: User | None) -> Decision[User]:
        if not _of_customer(current, org, org_id, partner_id):
            raise UserNotFound(user_id)  # moved or deleted since it was read
        assert current is not None
        after = changed(current, org, change)
        return None if after is None else (after, announcements.of_change(current, after, org, org))

    saved = (await store.change(User, user_id, decide)).record
    assert saved is not None
    return saved
