"""Search's settings, from SEARCH_* environment variables."""

from pydantic_settings import SettingsConfigDict

from helpdesk.runtime.settings import CommonSettings


class SearchSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="SEARCH_", extra="ignore")

    port: int = 8002
    mongo_database: str = "search"
