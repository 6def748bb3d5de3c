"""Search's settings, from SEARCH_* environment variables."""

from typing import Literal

from pydantic_settings import SettingsConfigDict

from runtime.settings import CommonSettings


class SearchSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="SEARCH_", extra="ignore")

    port: int = 8002
    mongo_database: str = "search"
    # "memory": every replica keeps its own index, built by reading identity's topics from the beginning at
    # start (ready once it has caught up), then kept current. "mongo": replicas share one MongoDB collection.
    storage: Literal["mongo", "memory"] = "memory"
