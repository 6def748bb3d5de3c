"""Who is calling: bearer JWTs, the demo issuer of the embedded mode, and role checks."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from helpdesk.runtime.web import ApiError

ALGORITHMS = ["ES256"]
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

    def verify(self, token: str) -> Principal:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._key.public_key(), algorithms=ALGORITHMS, audience=self.audience,
                issuer=self.issuer, options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise ApiError(401, "token_expired", "Your sign-in has expired. Please sign in again.") from error
        except jwt.PyJWTError as error:
            raise ApiError(401, "invalid_token", "Your sign-in is not valid. Please sign in again.") from error
        return Principal(
            user_id=claims["sub"], email=claims.get("email", ""), name=claims.get("name", ""),
            org_id=claims.get("org_id", ""), partner_id=claims.get("partner_id", ""),
            roles=frozenset(claims.get("roles", [])),
        )


_bearer = HTTPBearer(auto_error=False)


def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "unauthenticated", "Please sign in: this request needs a bearer token.",
                       headers={"WWW-Authenticate": "Bearer"})
    issuer: TokenIssuer = request.app.state.issuer
    return issuer.verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(role: str) -> Any:
    """A dependency that lets the request through only when the caller holds `role`."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has(role):
            raise ApiError(403, "forbidden", f"This needs the {role.replace('_', ' ')} role, which you do not hold.")
        return principal

    return Depends(check)


HelpdeskAgent = Annotated[Principal, require("helpdesk")]
Operator = Annotated[Principal, require("operator")]
