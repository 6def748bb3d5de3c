"""The gateway's settings, from GATEWAY_* environment variables."""

from typing import Literal

from pydantic_settings import SettingsConfigDict

from helpdesk.runtime.settings import CommonSettings


class GatewaySettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    port: int = 8000
    identity_url: str = "http://127.0.0.1:8001"
    search_url: str = "http://127.0.0.1:8002"
    email_url: str = "http://127.0.0.1:8003"
    access_url: str = "http://127.0.0.1:8004"
    # "demo": the gateway issues its own tokens through the demo login (embedded mode, local development).
    # "external": tokens come from the identity provider whose keys are published at `jwks_url`.
    auth_mode: Literal["demo", "external"] = "demo"
    jwt_issuer: str = "helpdesk-demo"
    jwt_audience: str = "helpdesk"
    # Required in external mode: without it no token is accepted.
    jwks_url: str = ""
    # An unknown key id makes the gateway fetch the JWKS again, at most once per this many seconds.
    jwks_refetch_cooldown_seconds: float = 30.0
    # PEM of the EC P-256 key that signs demo tokens; generated at start when empty (one replica only).
    demo_signing_key: str = ""
    token_ttl_seconds: int = 8 * 3600
    service_timeout_seconds: float = 10.0
    # Per agent and per replica: a burst of this many searches, refilled at this rate.
    search_burst: int = 30
    search_per_minute: int = 60
    max_body_bytes: int = 64 * 1024
    # Imports stream NDJSON to identity, which limits each line; this caps the whole body.
    max_import_bytes: int = 2 * 1024**3
    max_query_chars: int = 2048

