"""Search's settings, from SEARCH_* environment variables."""

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from runtime.settings import CommonSettings


class SearchSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="SEARCH_", extra="ignore")

    port: int = 8002
    # "memory": every replica keeps its own index, built by reading identity's topics from the beginning at
    # start (ready once it has caught up), then kept current. "opensearch": replicas share an OpenSearch index,
    # fed by the consumer group `search`; queries hold no state and consumers scale by partitions.
    store: Literal["memory", "opensearch"] = "memory"
    opensearch_url: str = "http://127.0.0.1:9200"
    # The indices' names start with this (`<prefix>-entries`, `<prefix>-placements`).
    opensearch_index: str = "helpdesk-search"
    opensearch_shards: int = Field(1, ge=1, le=1024)
    opensearch_replicas: int = Field(0, ge=0, le=16)
    # How soon a write becomes searchable (an OpenSearch duration: "1s", "500ms"); shorter costs the node more
    # refreshes and merging. Set when the indices are created; a live index takes `PUT <index>/_settings`.
    # 250 ms: measured p99 event-to-searchable 0.29 to 0.66 s (1 s gave 1.04 to 1.6 s), see docs/benchmarks.md.
    opensearch_refresh_interval: str = Field("250ms", pattern=r"^\d+(ms|s|m)$")
    opensearch_timeout_seconds: float = Field(5.0, gt=0)
