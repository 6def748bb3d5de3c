"""The email service's settings, from EMAIL_* environment variables."""

from pydantic_settings import SettingsConfigDict

from helpdesk.runtime.settings import CommonSettings


class EmailSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="EMAIL_", extra="ignore")

    port: int = 8003
    mongo_database: str = "email"
