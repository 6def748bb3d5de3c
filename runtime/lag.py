"""How far behind each Kafka consumer of this process is: per assigned partition, its end offset minus the consumer's
position, into the gauge helpdesk_consumer_lag. Refreshed in the background every few seconds rather than at each
scrape: the end offsets are a request to the broker, and a scrape should neither wait for it nor cause it."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from runtime import metrics
from runtime.timer import Timer

log = logging.getLogger(__name__)


class ConsumerLag:
    """The lag of the consumers `watch`ed, labelled with the group and topics as the code names them (without the
    deployment's topic prefix)."""

    def __init__(self, topic_prefix: str = "", interval: float = 5.0) -> None:
        self.prefix, self.interval = topic_prefix, interval
        self._subscribers: list[tuple[str, Any]] = []  # (group, FastStream subscriber)
        self._shown: dict[tuple[str, str, str], int] = {}  # (group, topic, partition): lag
        self._timer = Timer(self._refreshed, longest=timedelta(seconds=interval))

    def watch(self, group: str, subscriber: Any) -> None:
        self._subscribers.append((group, subscriber))

    async def start(self) -> None:
        await self._timer.start()

    async def stop(self) -> None:
        await self._timer.stop()
        self._show({})  # a stopped consumer has no lag to report; stale values would look like a stuck one

    async def _refreshed(self, _: datetime) -> None:
        await self.refresh()

    async def refresh(self) -> None:
        lags: dict[tuple[str, str, str], int] = {}
        for group, subscriber in self._subscribers:
            consumer = getattr(subscriber, "consumer", None)
            if consumer is None:  # not started yet, or stopped
                continue
            try:
                async with asyncio.timeout(self.interval):
                    lags.update(await self._lags(group, consumer))
            except Exception as error:  # a rebalance under way, or the broker slow: its last lag stands meanwhile
                log.debug("consumer lag unknown for now", extra={"group": group, "error": repr(error)})
                lags.update({labels: lag for labels, lag in self._shown.items() if labels[0] == group})
        self._show(lags)

    async def _lags(self, group: str, consumer: Any) -> dict[tuple[str, str, str], int]:
        assigned = list(consumer.assignment())
        if not assigned:
            return {}
        ends = await consumer.end_offsets(assigned)
        lags: dict[tuple[str, str, str], int] = {}
        for tp in assigned:
            lags[group, tp.topic.removeprefix(self.prefix), str(tp.partition)] = max(
                0, ends[tp] - await consumer.position(tp))
        return lags

    def _show(self, lags: dict[tuple[str, str, str], int]) -> None:
        for gone in self._shown.keys() - lags.keys():  # partitions moved to another replica
            metrics.CONSUMER_LAG.remove(*gone)
        for labels, lag in lags.items():
            metrics.CONSUMER_LAG.labels(*labels).set(lag)
        self._shown = lags
