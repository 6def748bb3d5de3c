"""Identity reads e-mail addresses exactly as email-validator does, including through its fast path."""

from __future__ import annotations

import email_validator
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.identity import records

pytestmark = pytest.mark.unit

# Letters, digits, every character RFC 5322 allows in an atom, and some it does not (space, quotes, accents, @).
_CHARACTERS = st.sampled_from([*"aZ09._-+!#$%&'*/=?^`{|}~", " ", '"', "\\", "(", ",", "@", "é", "ß", "\u200b"])


def _library(address: str) -> str | None:
    try:
        return email_validator.validate_email(address, check_deliverability=False).normalized
    except email_validator.EmailNotValidError:
        return None


def _ours(address: str) -> str | None:
    try:
        return records._email(address)
    except ValueError:
        return None


@settings(max_examples=600, deadline=None)
@given(local=st.text(_CHARACTERS, min_size=0, max_size=70),
       host=st.sampled_from(["acme.example", "ACME.Example", "münchen.example", "xn--mnchen-3ya.example", "acme"]))
def test_any_address_is_accepted_and_normalised_as_the_library_does(local: str, host: str) -> None:
    address = f"{local}@{host}"

    assert _ours(address) == _library(address)
