"""The gateway's settings, from GATEWAY_* environment variables."""

from typing import Literal, Self

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from runtime.settings import CommonSettings


class GatewaySettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    port: int = 8000
    identity_url: str = "http://127.0.0.1:8001"
    search_url: str = "http://127.0.0.1:8002"
    email_url: str = "http://127.0.0.1:8003"
    access_url: str = "http://127.0.0.1:8004"
    # "external": tokens come from the identity provider whose keys are published at `jwks_url`.
    # "demo": the gateway issues its own tokens through a password-less demo login, to anyone who names a user's
    # e-mail (the embedded mode, local development). No default: a deployment says which it runs.
    auth_mode: Literal["demo", "external"]
    jwt_issuer: str = "helpdesk-demo"
    jwt_audience: str = "helpdesk"
    # Required in external mode: without it no token is accepted.
    jwks_url: str = ""
    # An unknown key id makes the gateway fetch the JWKS again, at most once per this many seconds.
    jwks_refetch_cooldown_seconds: float = 30.0
    # PEM of the EC P-256 key that signs demo tokens; generated at start when empty (one replica only).
    demo_signing_key: str = ""
    # How long a demo token lasts. Rights are checked against identity on every request whatever a token says;
    # a short life still limits what a stolen token can do.
    token_ttl_seconds: int = 3600
    # Tokens that live longer than this (from `iat` to `exp`) are refused, whoever signed them.
    max_token_lifetime_seconds: int = 12 * 3600
    service_timeout_seconds: float = 10.0
    # How long a request waits for the bus to take its audit event or command before answering 503.
    publish_timeout_seconds: float = 5.0
    # Per agent and per replica: a burst of this many searches, refilled at this rate.
    search_burst: int = 30
    search_per_minute: int = 60
    max_body_bytes: int = 64 * 1024
    # Imports stream NDJSON to identity, which limits each line; this caps the whole body.
    max_import_bytes: int = 2 * 1024**3
    max_query_chars: int = 2048
    # Bytes of a request's path (as sent, percent-encoded); ids are at most 256 characters, so only a mistake or
    # an attack comes near it.
    max_path_bytes: int = 2048
    # Host names (a JSON list in GATEWAY_ALLOWED_HOSTS) the gateway answers to, "*.example.com" for any name under
    # example.com; any other Host header is refused with 400. Add the public name it is reached at.
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")

    @model_validator(mode="after")
    def _demo_tokens_within_the_maximum(self) -> Self:
        if self.token_ttl_seconds > self.max_token_lifetime_seconds:
            raise ValueError("token_ttl_seconds must not exceed max_token_lifetime_seconds")
        return self
