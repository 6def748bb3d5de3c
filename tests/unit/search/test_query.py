"""Reading a query: what it looks like and its normalised forms, without any index."""

from __future__ import annotations

import pytest

from services.search import query
from services.search.domain import fold, name_words, query_words

pytestmark = pytest.mark.unit


def identifiers(text: str, countries: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(p.interpretation.kind, p.interpretation.value) for p in query.read(text, countries).identifier_plans]


@pytest.mark.parametrize(("text", "expected"), [
    ("Jane.Doe@Acme.example", [("email", "jane.doe@acme.example")]),
    ("sip:Room-1@Acme.example;transport=tls", [("sip", "room-1@acme.example")]),
    ("https://Acme.webex.com/meet/jane", [("url", "acme.webex.com")]),
    ("6F1C2A9E-3B4D-4C5E-8F70-1A2B3C4D5E6F", [("id", "6f1c2a9e-3b4d-4c5e-8f70-1a2b3c4d5e6f")]),
    ("00:1A:2B:3C:4D:5E", [("mac", "001a2b3c4d5e"), ("id", "00:1A:2B:3C:4D:5E")]),
    ("001a.2b3c.4d5e", [("mac", "001a2b3c4d5e"), ("id", "001a.2b3c.4d5e")]),
    ("acme.example", [("domain", "acme.example"), ("id", "acme.example")]),
    ("WO-100200", [("order_number", "WO-100200"), ("id", "WO-100200")]),
    ("+1 415 555 0100", [("phone", "+14155550100")]),
    ("Jane Doe", []),
])
def test_what_a_query_looks_like(text: str, expected: list[tuple[str, str]]) -> None:
    assert identifiers(text) == expected


def test_twelve_digits_may_be_a_mac_a_phone_number_an_order_or_an_id() -> None:
    kinds = [kind for kind, _ in identifiers("442079460000", ("GB",))]

    assert kinds == ["mac", "phone", "order_number", "id"]


@pytest.mark.parametrize(("text", "countries", "expected"), [
    ("01 42 68 53 00", ("FR",), ("+33142685300",)),
    ("01 42 68 53 00", ("FR", "DE"), ("+33142685300", "+49142685300")),
    ("(415) 555-0100", (), ("+14155550100",)),
    ("+44 (0)20 7946 0000", ("FR",), ("+442079460000",)),
    ("0044 20 7946 0000", ("US",), ("+442079460000",)),
    ("442079460000", ("US",), ("+442079460000",)),
])
def test_a_phone_number_is_read_in_each_country_in_scope_and_as_international(
    text: str, countries: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert query.phone_numbers(text, countries) == expected


def test_words_are_folded_and_split_the_way_names_are_indexed() -> None:
    assert fold("Łukasz Wiśniewski Åsa Straße") == "lukasz wisniewski asa strasse"
    assert query_words("Lefèvre, René (FR)") == ("lefevre", "rene", "fr")
    assert name_words("O\u2019Brien-Smith") == ("o'brien-smith", "brien", "smith", "obriensmith")


def test_one_typo_covers_every_single_edit() -> None:
    variants = query.one_typo("smith")

    assert {"smth", "msith", "smyth", "smitth"} <= variants
    assert "smith" not in variants
    assert "smyht" not in variants
