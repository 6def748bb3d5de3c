"""The access service's settings, from ACCESS_* environment variables."""

from pydantic_settings import SettingsConfigDict

from helpdesk.runtime.settings import CommonSettings


class AccessSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="ACCESS_", extra="ignore")

    port: int = 8004
    mongo_database: str = "access"
