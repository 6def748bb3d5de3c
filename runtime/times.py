"""Times as the services keep them: timezone-aware and in UTC, so they compare and print one way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a time at the very edge of the calendar has no UTC form and is refused."""
    try:
        return value.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("this time is too far in the past or the future") from error


UtcTime = Annotated[AwareDatetime, AfterValidator(as_utc)]
