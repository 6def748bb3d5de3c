"""The email service's settings, from EMAIL_* environment variables."""

from typing import Literal

from pydantic_settings import SettingsConfigDict

from runtime.settings import CommonSettings


class EmailSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="EMAIL_", extra="ignore")

    port: int = 8003
    mongo_database: str = "email"
    # "demo": at start, record the demo's delivery reports (a delivered message, a hard bounce).
    seed: Literal["none", "demo"] = "none"
