"""Who is calling: bearer JWTs (the demo issuer, or an identity provider's keys) and role checks.

The token says who the caller is; the role projection says which partner roles they hold now, so a
revocation takes effect without waiting for the token to expire.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.roles import PARTNER_ROLES, RoleProjection
from helpdesk.runtime.web import ApiError

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

    def has(self, role: str) -> bool:
        return role in self.roles or any(role in IMPLIED_ROLES.get(r, ()) for r in self.roles)


class Verifier(Protocol):
    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims once its signature, issuer, audience and expiry are checked; else ApiError 401."""
        ...


def invalid_token(error: jwt.PyJWTError) -> ApiError:
    if isinstance(error, jwt.ExpiredSignatureError):
        return ApiError(401, "token_expired", "Your sign-in has expired. Please sign in again.")
    return ApiError(401, "invalid_token", "Your sign-in is not valid. Please sign in again.")


class TokenIssuer:
    """Signs and checks the gateway's own ES256 tokens (the demo logins)."""

    def __init__(self, issuer: str, audience: str, ttl: int, private_key_pem: str = "") -> None:
        self.issuer, self.audience, self.ttl = issuer, audience, ttl
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


def principal_from(claims: dict[str, Any], projection: RoleProjection) -> Principal:
    """Partner roles come from the projection only; other roles (operator, customer_admin) from the token."""
    user_id = str(claims["sub"])
    token_roles = {str(r) for r in claims.get("roles", []) if isinstance(r, str)}
    return Principal(
        user_id=user_id, email=str(claims.get("email", "")), name=str(claims.get("name", "")),
        org_id=str(claims.get("org_id", "")),
        partner_id=projection.partner_of(user_id) or str(claims.get("partner_id", "")),
        roles=frozenset(token_roles - PARTNER_ROLES) | projection.roles_of(user_id),
    )


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "unauthenticated", "Please sign in: this request needs a bearer token.",
                       headers={"WWW-Authenticate": "Bearer"})
    verifier: Verifier = request.app.state.verifier
    claims = await verifier.verify(credentials.credentials)
    principal = principal_from(claims, request.app.state.roles)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(role: str) -> Any:
    """A dependency that lets the request through only when the caller holds `role` now."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has(role):
            raise ApiError(403, "forbidden", f"This needs the {role.replace('_', ' ')} role, which you do not hold.")
        return principal

    return Depends(check)


HelpdeskAgent = Annotated[Principal, require("helpdesk")]
Operator = Annotated[Principal, require("operator")]
PartnerAdmin = Annotated[Principal, require("partner_admin")]
CustomerAdmin = Annotated[Principal, require("customer_admin")]
