"""Why a query of the mix did not find its entity among the first 20: build the in-process index from the
events file, ask every query that missed again with a limit of 1,000, and print where its entity ranks.

    python -m bench.search.misses --users 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import gc

from bench.search.data import events_file
from bench.search.measure import build
from bench.search.queries import load_or_make
from services.search import handlers
from services.search.store import MemorySearchStore


async def run(users: int, seed: int, count: int) -> None:
    events = events_file(users, seed)
    queries = load_or_make(events, count)
    store = MemorySearchStore()
    await build(store, events)
    missed = beyond = 0
    for query in queries:
        answer = await handlers.search(query.text, query.partner_id, None, 20, store)
        if query.expected in [hit["id"] for hit in answer[query.group]]:
            continue
        missed += 1
        wider = [hit["id"] for hit in (await handlers.search(query.text, query.partner_id, None, 1000,
                                                             store))[query.group]]
        rank = wider.index(query.expected) + 1 if query.expected in wider else None
        beyond += rank is not None
        print(f"{query.kind:6} {query.text!r}: {len(wider)} matches, the expected one ranks {rank}")
    print(f"{missed} of {len(queries)} queries missed in the first 20; {beyond} of them rank further down")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    gc.set_threshold(100_000, 50, 100)  # as `helpdesk` runs services
    asyncio.run(run(args.users, args.seed, args.queries))


if __name__ == "__main__":
    main()
