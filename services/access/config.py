"""The access service's settings, from ACCESS_* environment variables."""

from typing import Literal

from pydantic_settings import SettingsConfigDict

from runtime.settings import CommonSettings


class AccessSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="ACCESS_", extra="ignore")

    port: int = 8004
    mongo_database: str = "access"
    # "demo": at start, the demo customer that grants its partner access does so, unless it has decided since.
    seed: Literal["none", "demo"] = "none"
