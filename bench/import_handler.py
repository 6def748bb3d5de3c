"""Import throughput of identity's use-case alone: the same file, applied to the in-memory store in process,
without HTTP and without consumers indexing the events meanwhile.

    python -m bench.import_handler --users 100000 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from collections.abc import AsyncIterator
from pathlib import Path

from bench.import_throughput import dataset
from services.identity import importing
from services.identity.parsing import LineParser
from services.identity.store import IdentityStore


async def chunks(path: Path, size: int = 65536) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while block := source.read(size):
            yield block


async def run(path: Path, workers: int) -> None:
    parser = LineParser(workers)
    try:
        started = time.perf_counter()
        report = await importing.import_records(chunks(path), IdentityStore.memory(), parser=parser)
        seconds = time.perf_counter() - started
    finally:
        parser.close()
    print(f"workers={workers}: {report.accepted:,} records in {seconds:.1f} s = {report.accepted / seconds:,.0f}/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    gc.set_threshold(100_000, 50, 100)  # as `helpdesk` does
    asyncio.run(run(dataset(args.users, args.seed), args.workers))


if __name__ == "__main__":
    main()
