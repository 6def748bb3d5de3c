"""What the benchmark reads from outside the code it measures: a process's resident memory and CPU time from
/proc, and the local OpenSearch node's process and its own statistics of the read model's two indices."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from opensearchpy import AsyncOpenSearch

INFRA = Path(os.environ.get("HELPDESK_INFRA_DIR", Path(__file__).resolve().parents[2] / ".infra"))
MAIN_CLASS = "org.opensearch.bootstrap.OpenSearch"


def rss_of(pid: int) -> int:
    """Resident memory of a process, in bytes."""
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def cpu_of(pid: int) -> float:
    """CPU seconds a process has used so far, user and system (its threads included)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def opensearch_pid() -> int:
    """The local node's java process: from deploy/local/infra.sh's pid file, else by its main class."""
    pid_file = INFRA / "run" / "opensearch.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text().strip() or 0)
        cmdline = Path(f"/proc/{pid}/cmdline")
        if pid and cmdline.exists() and MAIN_CLASS in cmdline.read_text():
            return pid
    found = subprocess.run(["pgrep", "-f", MAIN_CLASS], capture_output=True, text=True, check=False).stdout.split()
    if len(found) != 1:
        raise RuntimeError(f"no single OpenSearch node running (pgrep found {found or 'none'}); "
                           "start it with deploy/local/infra.sh up")
    return int(found[0])


async def index_stats(client: AsyncOpenSearch, indices: str) -> dict[str, int]:
    """OpenSearch's own figures for these indices' primaries: documents, bytes on disk, segments and the heap
    they hold (Lucene 9 keeps terms and points off the heap, so that is small), and the operations run on them
    with the time the node spent in each (its threads' elapsed time, this index's alone even on a shared node)."""
    answer: dict[str, Any] = await client.indices.stats(
        index=indices, metric="docs,store,segments,indexing,get,search,refresh,merge")
    primaries = answer["_all"]["primaries"]
    segments = primaries["segments"]
    return {"docs": primaries["docs"]["count"], "deleted_docs": primaries["docs"]["deleted"],
            "store_bytes": primaries["store"]["size_in_bytes"], "segments": segments["count"],
            "segments_memory_bytes": segments["memory_in_bytes"],
            "index_writer_memory_bytes": segments["index_writer_memory_in_bytes"],
            "version_map_memory_bytes": segments["version_map_memory_in_bytes"],
            "indexed": primaries["indexing"]["index_total"], "index_ms": primaries["indexing"]["index_time_in_millis"],
            "gets": primaries["get"]["total"], "get_ms": primaries["get"]["time_in_millis"],
            "searches": primaries["search"]["query_total"], "search_ms": primaries["search"]["query_time_in_millis"]
            + primaries["search"]["fetch_time_in_millis"],
            "refreshes": primaries["refresh"]["total"], "refresh_ms": primaries["refresh"]["total_time_in_millis"],
            "merges": primaries["merges"]["total"], "merge_ms": primaries["merges"]["total_time_in_millis"]}


async def heap_stats(client: AsyncOpenSearch) -> dict[str, int]:
    """The node's heap: in use now, and its old generation (what survived collections)."""
    answer: dict[str, Any] = await client.nodes.stats(metric="jvm")
    (node,) = answer["nodes"].values()
    memory = node["jvm"]["mem"]
    return {"heap_used_bytes": memory["heap_used_in_bytes"], "heap_max_bytes": memory["heap_max_in_bytes"],
            "old_gen_bytes": memory["pools"]["old"]["used_in_bytes"]}
