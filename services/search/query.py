"""Reading what an agent typed: what it looks like, its normalised forms, and the plans to look for it. Pure.

Identifier plans (an e-mail, a phone number, a MAC, an id, a domain, an order number…) run first and, when they
find something, are the answer. Otherwise the query is read as words, in three tiers: every word exactly, every
word as a prefix, and then allowing one typo in words of five letters or more.

A phone number typed without its country code is read in each country of the customers in scope (the partner's,
or the one `org_id` names), as identity read the numbers it stored; with no customer known, in the US, identity's
default. Digits that also read as an international number without its '+' are tried that way too.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from urllib.parse import urlsplit

import phonenumbers

from services.search.domain import digits, fold, is_word, order_keys, query_words

DEFAULT_COUNTRY = "US"
TYPO_MIN_LETTERS = 5
_EMAIL = re.compile(r"^(?:mailto:)?([^@\s:]+@[^@\s]+\.[^@\s.]+)$", re.IGNORECASE)
_SIP = re.compile(r"^sips?:([^@\s:;]+@[a-z0-9.\-\[\]]+)(?::\d{1,5})?(?:;\S*)?$", re.IGNORECASE)
_URL = re.compile(r"^[a-z][a-z0-9+.\-]*://\S+$", re.IGNORECASE)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_MAC_SEPARATED = re.compile(r"^(?:[0-9a-f]{2}([:\-])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}|[0-9a-f]{4}(\.[0-9a-f]{4}){2})$",
                            re.IGNORECASE)
_MAC_BARE = re.compile(r"^[0-9a-f]{12}$", re.IGNORECASE)
_DOMAIN = re.compile(r"^(?=[^/]*[a-z])(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+[a-z]{2,}\.?$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?[\d\s().\-/]+$")
_ORDER = re.compile(r"^[a-z]{1,4}[\s\-]?\d{3,}$", re.IGNORECASE)
_ALPHABET = string.ascii_lowercase


class Tier(IntEnum):
    """How well a hit matches, best first."""

    IDENTIFIER = 0
    WORDS = 1
    PREFIX = 2
    TYPO = 3


@dataclass(frozen=True)
class Clause:
    """An entry satisfies a clause when one of its terms is one of `exact`, or is a word starting with `prefix`."""

    exact: frozenset[str]
    prefix: str = ""

    def satisfied_by(self, terms: Iterable[str]) -> bool:
        prefix = self.prefix
        return any(t in self.exact or (prefix and t.startswith(prefix) and is_word(t)) for t in terms)


@dataclass(frozen=True)
class Interpretation:
    kind: str
    value: str


@dataclass(frozen=True)
class Plan:
    """One way to look: entries satisfying every clause."""

    tier: Tier
    interpretation: Interpretation
    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class Reading:
    text: str
    identifier_plans: tuple[Plan, ...] = ()
    word_plans: tuple[Plan, ...] = ()
    interpretations: tuple[Interpretation, ...] = field(default=())


def load_phone_metadata() -> None:
    """Read every region's numbering plan now (60 ms) rather than during the first query from each country."""
    for region in phonenumbers.SUPPORTED_REGIONS:
        phonenumbers.PhoneMetadata.metadata_for_region(region)


def looks_like_phone(text: str) -> bool:
    """Whether reading the query needs the countries of the customers in scope."""
    stripped = text.strip()
    return bool(_PHONE.match(stripped)) and 6 <= len(digits(stripped)) <= 17


def read(text: str, countries: Iterable[str] = ()) -> Reading:
    stripped = text.strip()
    identifiers = _identifier_plans(stripped, tuple(countries))
    words = query_words(stripped)
    word_plans = _word_plans(words)
    interpretations = tuple(dict.fromkeys(p.interpretation for p in (*identifiers, *word_plans)))
    return Reading(stripped, identifiers, word_plans, interpretations)


def _exact(*terms: str) -> tuple[Clause, ...]:
    return (Clause(frozenset(terms)),)


def _identifier_plans(text: str, countries: tuple[str, ...]) -> tuple[Plan, ...]:
    plans: list[Plan] = []

    def add(kind: str, value: str, *terms: str) -> None:
        plans.append(Plan(Tier.IDENTIFIER, Interpretation(kind, value), _exact(*terms)))

    if match := _EMAIL.match(text):
        address = fold(match[1])
        add("email", address, address)
        return tuple(plans)
    if match := _SIP.match(text):
        address = fold(match[1])
        add("sip", address, address)
        return tuple(plans)
    if _URL.match(text):
        url_host = (urlsplit(fold(text)).hostname or "").strip(".")
        if url_host:
            add("url", url_host, url_host, url_host.removeprefix("www."))
        return tuple(plans)
    if _UUID.match(text):
        add("id", text.lower(), f"id:{text.lower()}")
        return tuple(plans)
    if _MAC_SEPARATED.match(text) or _MAC_BARE.match(text):
        mac = re.sub(r"[^0-9a-f]", "", text.lower())
        add("mac", mac, f"mac:{mac}")
    if _DOMAIN.match(text):
        domain = fold(text).rstrip(".")
        add("domain", domain, domain, domain.removeprefix("www."))
    if looks_like_phone(text):
        for number in phone_numbers(text, countries):
            add("phone", number, f"tel:{number}")
    if _ORDER.match(text) or (text.isdigit() and len(text) >= 3):
        letters, number = re.sub(r"[^a-z]", "", fold(text)).upper(), digits(text)
        add("order_number", f"{letters}-{number}" if letters else number, *order_keys(text))
    if text and not any(ch.isspace() for ch in text):
        add("id", text, f"id:{fold(text)}")
    return tuple(plans)


def phone_numbers(text: str, countries: tuple[str, ...]) -> tuple[str, ...]:
    """Every E.164 number the text can be: as typed in each country in scope, or international without '+'."""
    found: list[str] = []
    international = text.lstrip().startswith("+")
    regions: tuple[str | None, ...] = (None,) if international else (countries or (DEFAULT_COUNTRY,))
    for region in regions:
        number = _parse(text, region)
        if number is not None and phonenumbers.is_possible_number(number):
            found.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    bare = digits(text)
    if not international and len(bare) >= 8:
        for candidate in (bare, bare[2:] if bare.startswith("00") else ""):
            number = _parse(f"+{candidate}", None) if candidate else None
            if number is not None and phonenumbers.is_valid_number(number):
                found.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return tuple(dict.fromkeys(found))


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


def _word_plans(words: tuple[str, ...]) -> tuple[Plan, ...]:
    if not words:
        return ()
    text = Interpretation("text", " ".join(words))
    plans = [
        Plan(Tier.WORDS, text, tuple(Clause(frozenset((w,))) for w in words)),
        Plan(Tier.PREFIX, text, tuple(Clause(frozenset((w,)), w) for w in words)),
    ]
    if any(_typo_tolerant(w) for w in words):
        plans.append(Plan(Tier.TYPO, text, tuple(Clause(frozenset((w, *_names_one_typo_away(w))), w) for w in words)))
    return tuple(plans)


def _typo_tolerant(word: str) -> bool:
    # A deletion leaves one letter fewer than the name word it was meant to be.
    return len(word) >= TYPO_MIN_LETTERS - 1 and word.isalpha()


def _names_one_typo_away(word: str) -> tuple[str, ...]:
    if not _typo_tolerant(word):
        return ()
    return tuple(w for w in one_typo(word) if len(w) >= TYPO_MIN_LETTERS)


def one_typo(word: str) -> frozenset[str]:
    """Every word one edit away: a letter deleted, inserted, replaced, or two neighbours swapped."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deleted = (a + b[1:] for a, b in splits if b)
    swapped = (a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1)
    replaced = (a + c + b[1:] for a, b in splits if b for c in _ALPHABET if c != b[0])
    inserted = (a + c + b for a, b in splits for c in _ALPHABET)
    return frozenset((*deleted, *swapped, *replaced, *inserted)) - {word}
