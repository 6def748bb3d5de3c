"""Tokens of an external identity provider, checked against its JWKS; keys rotate without a restart."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import jwt

from gateway.auth import ALGORITHMS, REQUIRED_CLAIMS, VerifiedTokens, invalid_token
from runtime.web import ApiError

# The one algorithm each key type may sign with, so a token cannot pick how its key is read.
_ALGORITHM_OF_KEY = {"RSA": "RS256", "EC": "ES256"}


class JwksVerifier:
    def __init__(self, issuer: str, audience: str, jwks_url: str, http: httpx.AsyncClient,
                 refetch_cooldown: float = 30.0) -> None:
        self.issuer, self.audience, self.jwks_url = issuer, audience, jwks_url
        self.http = http
        self.cooldown = refetch_cooldown
        self._keys: dict[str, jwt.PyJWK] = {}
        self.verified = VerifiedTokens()
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise invalid_token(error) from error
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            # A provider names the key of every token it signs; without it, which key to trust is a guess.
            raise invalid_token(jwt.InvalidTokenError("the token names no signing key (kid)"))
        key = await self._key(kid)
        algorithm = _ALGORITHM_OF_KEY.get(key.key_type or "")
        if algorithm is None or algorithm not in ALGORITHMS or header.get("alg") != algorithm:
            raise invalid_token(jwt.InvalidAlgorithmError("the token's algorithm does not fit its key"))
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=[algorithm], audience=self.audience, issuer=self.issuer,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as error:
            raise invalid_token(error) from error
        return claims

    async def close(self) -> None:
        await self.http.aclose()

    async def _key(self, kid: str) -> jwt.PyJWK:
        if kid not in self._keys:
            async with self._lock:
                # An unknown kid may be a rotated key: fetch again, but not more than once per cooldown.
                if kid not in self._keys and time.monotonic() - self._fetched_at >= self.cooldown:
                    await self._fetch()
        if kid not in self._keys:
            raise invalid_token(jwt.InvalidKeyError("unknown signing key"))
        return self._keys[kid]

    async def _fetch(self) -> None:
        self._fetched_at = time.monotonic()
        if not self.jwks_url:
            return
        try:
            response = await self.http.get(self.jwks_url, timeout=5.0)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise ApiError(503, "service_unavailable", "Sign-in cannot be checked right now. Please try again.",
                           headers={"Retry-After": "5"}) from error
        keys: dict[str, jwt.PyJWK] = {}
        for entry in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(entry, dict) or "kid" not in entry or entry.get("use", "sig") != "sig":
                continue
            try:
                keys[str(entry["kid"])] = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue  # a key of a type we do not accept: ignore it, keep the others
        # A key the provider no longer publishes vouches for nothing any more: every token is checked again.
        self.verified.forget()
        self._keys = keys
