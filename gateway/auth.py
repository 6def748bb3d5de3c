"""Who is calling: bearer JWTs (the demo issuer, or an identity provider's keys) and role checks.

The token says who the caller is; the role projection says which roles they hold now, in which org and for which
partner, so a removed role, a deleted user or a move to another org takes effect without waiting for the token
to expire.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.roles import RoleProjection
from runtime.web import ApiError

# Asymmetric algorithms only: never `none`, never an HMAC that a public key could be abused as the secret of.
ALGORITHMS = ("RS256", "ES256")
REQUIRED_CLAIMS = ["exp", "iat", "sub", "iss", "aud"]
# A Help Desk Advanced agent can do everything a Help Desk agent can.
IMPLIED_ROLES = {"helpdesk_advanced": {"helpdesk"}}


@dataclass(frozen=True)
class Principal:
    user_id: str
    email: str
    name: str
    org_id: str
    partner_id: str
    roles: frozenset[str]
    # The partner the token named when it was signed: what the person saw, if they act on it after a change.
    token_partner_id: str = ""

    def has(self, role: str) -> bool:
        return role in self.roles or any(role in IMPLIED_ROLES.get(r, ()) for r in self.roles)


class Verifier(Protocol):
    verified: VerifiedTokens

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims once its signature, issuer, audience and expiry are checked; else ApiError 401."""
        ...


class Claims(BaseModel):
    """What a token says of its bearer, each claim of the type it must have: a token that says `"roles":
    "admin"` or `"sub": 42` is refused, not read leniently."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    sub: str = Field(min_length=1, max_length=256)
    iat: float
    exp: float
    email: str = Field("", max_length=320)
    name: str = Field("", max_length=256)
    org_id: str = Field("", max_length=256)
    partner_id: str = Field("", max_length=256)
    roles: list[str] = Field(default_factory=list, max_length=50)


class VerifiedTokens:
    """A verifier's tokens that passed every check (signature, issuer, audience, expiry, claim types, lifetime), with
    their claims, each until it expires: checking an ES256 or RS256 signature costs more than all the rest of
    authorizing a request. Only what the token says is kept, never a right: the roles come from the role projection
    on every request. A token is checked again when it comes back past its expiry (and refused as expired), when more
    than `size` others were kept after it, and after `forget` (its verifier's keys changed)."""

    def __init__(self, size: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        self.size, self.clock = size, clock
        self._claims: dict[str, Claims] = {}

    def get(self, token: str) -> Claims | None:
        claims = self._claims.get(token)
        if claims is not None and claims.exp <= self.clock():  # as PyJWT decides that a token has expired
            del self._claims[token]
            return None
        return claims

    def keep(self, token: str, claims: Claims) -> None:
        if len(self._claims) >= self.size:
            del self._claims[next(iter(self._claims))]  # the one kept longest ago
        self._claims[token] = claims

    def forget(self) -> None:
        self._claims.clear()


def claims_of(raw: dict[str, Any], max_lifetime: int) -> Claims:
    """The token's claims once their types and its lifetime are checked; else ApiError 401."""
    try:
        claims = Claims.model_validate(raw)
    except ValidationError as error:
        raise invalid_token(jwt.InvalidTokenError(f"a claim of the wrong type: {error.errors()[0]['loc']}")) from None
    if claims.exp - claims.iat > max_lifetime:
        raise ApiError(401, "invalid_token", "Your sign-in lasts longer than this service accepts. Please sign in "
                                             "again with a shorter-lived token.")
    return claims


def invalid_token(error: jwt.PyJWTError) -> ApiError:
    if isinstance(error, jwt.ExpiredSignatureError):
        return ApiError(401, "token_expired", "Your sign-in has expired. Please sign in again.")
    return ApiError(401, "invalid_token", "Your sign-in is not valid. Please sign in again.")


class TokenIssuer:
    """Signs and checks the gateway's own ES256 tokens (the demo logins)."""

    def __init__(self, issuer: str, audience: str, ttl: int, private_key_pem: str = "") -> None:
        self.issuer, self.audience, self.ttl = issuer, audience, ttl
        self.verified = VerifiedTokens()
        if private_key_pem:
            loaded = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
            if not isinstance(loaded, ec.EllipticCurvePrivateKey):
                raise ValueError("the demo signing key must be an EC P-256 private key")
            self._key = loaded
        else:
            self._key = ec.generate_private_key(ec.SECP256R1())

    def issue(self, principal: Principal) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer, "aud": self.audience, "sub": principal.user_id, "iat": now,
            "exp": now + self.ttl, "email": principal.email, "name": principal.name, "org_id": principal.org_id,
            "partner_id": principal.partner_id, "roles": sorted(principal.roles),
        }
        return jwt.encode(claims, self._key, algorithm="ES256")

    async def verify(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._key.public_key(), algorithms=["ES256"], audience=self.audience,
                issuer=self.issuer, options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as error:
            raise invalid_token(error) from error
        return claims


def principal_from(claims: Claims, projection: RoleProjection) -> Principal:
    """Who the token names, with the roles, org and partner identity says they have now: the token's own
    `roles` grant nothing, and its org and partner count only for someone identity knows no role of."""
    standing = projection.standing(claims.sub)
    return Principal(
        user_id=claims.sub, email=claims.email, name=claims.name,
        org_id=standing.org_id or claims.org_id, partner_id=standing.partner_id or claims.partner_id,
        roles=standing.roles, token_partner_id=claims.partner_id,
    )


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "unauthenticated", "Please sign in: this request needs a bearer token.",
                       headers={"WWW-Authenticate": "Bearer"})
    verifier: Verifier = request.app.state.verifier
    token = credentials.credentials
    claims = verifier.verified.get(token)
    if claims is None:
        claims = claims_of(await verifier.verify(token), request.app.state.settings.max_token_lifetime_seconds)
        verifier.verified.keep(token, claims)
    principal = principal_from(claims, request.app.state.roles)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(role: str) -> Any:
    """A dependency that lets the request through only when the caller holds `role` now."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has(role):
            raise ApiError(403, "forbidden", f"This needs the {role.replace('_', ' ')} role, which you do not hold.")
        return principal

    return Depends(check)


HelpdeskAgent = Annotated[Principal, require("helpdesk")]
HelpdeskAdvancedAgent = Annotated[Principal, require("helpdesk_advanced")]
Operator = Annotated[Principal, require("operator")]
PartnerAdmin = Annotated[Principal, require("partner_admin")]
CustomerAdmin = Annotated[Principal, require("customer_admin")]
