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
    auth_mode: Literal["demo", "external"] = "demo"
    jwt_issuer: str = "helpdesk-demo"
    jwt_audience: str = "helpdesk"
    # PEM of the EC P-256 key that signs demo tokens; generated at start when empty (one replica only).
    demo_signing_key: str = ""
    token_ttl_seconds: int = 8 * 3600
    service_timeout_seconds: float = 10.0
