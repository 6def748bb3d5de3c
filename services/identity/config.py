"""Identity's settings, from IDENTITY_* environment variables."""

from typing import Literal

from pydantic_settings import SettingsConfigDict

from runtime.settings import CommonSettings


class IdentitySettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore")

    port: int = 8001
    mongo_database: str = "identity"
    seed: Literal["none", "demo"] = "none"
    # Processes that parse and validate the lines of a big import while this one applies them (0: none).
    import_workers: int = 2
