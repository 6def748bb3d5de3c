"""Settings shared by every process; each service subclasses them with its own environment prefix."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    """Defaults fit the local infrastructure from deploy/local; production sets everything by environment."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    kafka_bootstrap: str = "127.0.0.1:9092"
    mongo_url: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    mongo_database: str = "helpdesk"
    topic_prefix: str = ""
    delivery_attempts: int = 3
    storage: Literal["mongo", "memory"] = "mongo"
