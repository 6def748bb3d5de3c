"""Make a Kafka cluster's topics match their declaration (contracts/topics.py), as `helpdesk infra topics` does:
create the missing ones, add partitions where there are fewer, set the configs that differ, and say each change.

A second run finds nothing to change. Only the declared configs are compared: what else an operator set on a topic
stays (AlterConfigs replaces a topic's whole set of its own configs, so those already set are sent along). Kafka
cannot take partitions away, and a replication factor changes only by reassigning partitions: either difference is
reported, never attempted. Topics are looked up in the whole cluster's metadata, never by name: asking a broker
about one topic by name creates it when the broker auto-creates topics, and with its defaults.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from contracts.topics import REPLICATION_FACTOR, TOPICS, Topic

_TOPIC_OVERRIDE = 1  # DescribeConfigs' config_source of a config set on the topic itself
SETTLE_SECONDS = 30.0


@dataclass(frozen=True)
class Found:
    """What the cluster has of a topic: its partitions, replicas, and configs (those in effect, and those set on the
    topic itself)."""

    partitions: int
    replication_factor: int
    configs: Mapping[str, str]
    overrides: Mapping[str, str]


@dataclass(frozen=True)
class Change:
    """One change to make to the cluster, said as done or, in a dry run, as it would be done."""

    topic: str
    action: Literal["create", "partitions", "config"]
    what: str  # what of the topic changes: nothing for a creation, "partitions", or the config's name
    done: str  # the rest of the sentence, once done: "created with …", "raised from 1 to 6", "set to compact …"

    def line(self, dry_run: bool) -> str:
        subject = f"{self.topic}: {self.what} " if self.what else f"{self.topic}: "
        return subject + ("would be " if dry_run else "") + self.done


@dataclass
class Outcome:
    """What a run found, changed and could not change; `errors` makes the command fail."""

    dry_run: bool
    notes: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # differences Kafka cannot change this way
    errors: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report, one line per change: notes first, then changes, then what was left as it is."""
        said = [*self.notes, *(change.line(self.dry_run) for change in self.changes), *self.left]
        return said if self.changes else [*said, "nothing to change"]


def replication_factor(asked: int | None, brokers: int) -> tuple[int, str | None]:
    """The replication factor to create topics with, and a note when the cluster is too small for the declared one."""
    if asked is not None:
        if asked > brokers:
            raise ValueError(f"replication factor {asked} needs {asked} brokers; the cluster has {brokers}")
        return asked, None
    if brokers < REPLICATION_FACTOR:
        return brokers, (f"replication factor {brokers}: the cluster has {brokers} broker{'s' * (brokers > 1)}, "
                         f"fewer than the {REPLICATION_FACTOR} declared for production")
    return REPLICATION_FACTOR, None


def plan(declared: Sequence[Topic], found: Mapping[str, Found], prefix: str, factor: int
         ) -> tuple[list[Change], list[str]]:
    """The changes that make the cluster's topics match `declared` (named with `prefix`; new ones made with
    `factor` copies), and the differences that will be left as they are."""
    changes: list[Change] = []
    left: list[str] = []
    for topic in declared:
        name = prefix + topic.name
        has = found.get(name)
        # An existing topic's writes wait for the copies it has, whatever a new one would get.
        wanted = topic.configs(factor if has is None else has.replication_factor)
        if has is None:
            settings = ", ".join(f"{key}={value}" for key, value in wanted.items())
            partitions = f"{topic.partitions} partition{'s' * (topic.partitions > 1)}"
            changes.append(Change(name, "create", "", f"created with {partitions}, replication factor {factor}, "
                                                      f"{settings}"))
            continue
        if has.partitions < topic.partitions:
            raised = f"raised from {has.partitions} to {topic.partitions}"
            changes.append(Change(name, "partitions", "partitions", raised))
        elif has.partitions > topic.partitions:
            left.append(f"{name}: has {has.partitions} partitions, {topic.partitions} declared: left as they are, "
                        "Kafka cannot take partitions away")
        if has.replication_factor != factor:
            left.append(f"{name}: has replication factor {has.replication_factor}, {factor} wanted: left as it is, "
                        "it changes only by reassigning its partitions (kafka-reassign-partitions)")
        changes += [Change(name, "config", key, f"set to {value} (was {has.configs.get(key, 'unset')})")
                    for key, value in wanted.items() if has.configs.get(key) != value]
    return changes, left


async def ensure(bootstrap: str, *, prefix: str = "", factor: int | None = None, dry_run: bool = False,
                 declared: Sequence[Topic] = TOPICS) -> Outcome:
    """Make the cluster at `bootstrap` hold `declared`, named with `prefix`; with `dry_run`, only say what would
    change. Raises ValueError when the cluster has fewer brokers than the replication factor asked for."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="helpdesk-topics", request_timeout_ms=30_000)
    await admin.start()
    try:
        brokers = len((await admin.describe_cluster())["brokers"])
        chosen, note = replication_factor(factor, brokers)
        outcome = Outcome(dry_run, notes=[note] if note else [])
        found = await _found(admin, {prefix + topic.name for topic in declared})
        outcome.changes, outcome.left = plan(declared, found, prefix, chosen)
        if not dry_run and outcome.changes:
            by_name = {prefix + topic.name: topic for topic in declared}
            outcome.errors = (await _apply(admin, outcome.changes, by_name, found, chosen)
                              or await _settled(admin, declared, prefix, chosen))
        return outcome
    finally:
        await admin.close()


async def _settled(admin: AIOKafkaAdminClient, declared: Sequence[Topic], prefix: str, factor: int) -> list[str]:
    """Wait until the cluster's metadata shows every change (it reaches the brokers a moment after Kafka accepted
    it), so that what starts next finds the topics as declared; an error for each change not seen in time."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        pending, _ = plan(declared, await _found(admin, {prefix + topic.name for topic in declared}), prefix, factor)
        if not pending:
            return []
        if time.monotonic() > deadline:
            return [f"{change.topic}: not as declared {SETTLE_SECONDS:.0f} s later ({change.line(dry_run=True)})"
                    for change in pending]
        await asyncio.sleep(0.1)


async def _found(admin: AIOKafkaAdminClient, names: set[str]) -> dict[str, Found]:
    """What the cluster has of the topics named, looked up among all its topics (see the module's text)."""
    present = {t["topic"]: t["partitions"] for t in await admin.describe_topics() if t["topic"] in names}
    if not present:
        return {}
    described = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name) for name in present])
    found: dict[str, Found] = {}
    for response in described:
        for resource in response.to_object()["resources"]:
            _raise_for(resource["error_code"], resource["error_message"])
            entries = resource["config_entries"]
            partitions = present[resource["resource_name"]]
            found[resource["resource_name"]] = Found(
                len(partitions), len(partitions[0]["replicas"]) if partitions else 0,
                {entry["config_names"]: entry["config_value"] for entry in entries},
                {entry["config_names"]: entry["config_value"] for entry in entries
                 if entry["config_source"] == _TOPIC_OVERRIDE})
    return found


async def _apply(admin: AIOKafkaAdminClient, changes: Sequence[Change], declared: Mapping[str, Topic],
                 found: Mapping[str, Found], factor: int) -> list[str]:
    """Make the changes; the errors, one line each (a failed change does not stop the others)."""
    errors: list[str] = []
    created = [NewTopic(c.topic, declared[c.topic].partitions, factor, topic_configs=declared[c.topic].configs(factor))
               for c in changes if c.action == "create"]
    if created:
        response = (await admin.create_topics(created)).to_object()
        errors += [f"{t['topic']}: not created: {_why(t['error_code'], t['error_message'])}"
                   for t in response["topic_errors"] if t["error_code"]]
    for name in (c.topic for c in changes if c.action == "partitions"):
        try:
            await admin.create_partitions({name: NewPartitions(declared[name].partitions)})
        except KafkaError as error:
            errors.append(f"{name}: partitions not raised: {error}")
    for name in dict.fromkeys(c.topic for c in changes if c.action == "config"):
        configs = {**found[name].overrides, **declared[name].configs(found[name].replication_factor)}
        for response in await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, name, configs)]):
            errors += [f"{name}: configs not set: {_why(r['error_code'], r['error_message'])}"
                       for r in response.to_object()["resources"] if r["error_code"]]
    return errors


def _why(code: int, message: str | None) -> str:
    if code == TopicAlreadyExistsError.errno:
        return "it appeared meanwhile (a client made it, where the brokers create topics on use); run again"
    return message or for_code(code).__name__


def _raise_for(code: int, message: Any) -> None:
    if code:
        raise for_code(code)(message)
