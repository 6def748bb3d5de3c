"""Verification codes and the limits around them: pure rules, no I/O.

An agent has a code mailed to a user; the caller reads it back, and a right code shows the caller reads that
mailbox now (nothing more: it is not enough to reset a password or change who administers an org). Only a keyed
hash of a code is kept. A user's wrong tries count across codes, so asking for a new code does not buy more
guesses; sending is limited per user and per agent.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from runtime.versioned import Versioned

CODE_LIFETIME = timedelta(minutes=10)
MAX_WRONG_TRIES = 5
# Wrong tries count against the user for this long, whichever of their codes they were made on.
WRONG_TRIES_WINDOW = timedelta(minutes=15)


class CodeNotFound(LookupError):
    """No such code for this user (unknown, another user's, or not issued yet)."""


class CodeExpired(Exception):
    """The code is past its ten minutes."""


class CodeUsed(Exception):
    """The code was already verified once."""


class CodeLocked(Exception):
    """Too many wrong tries: no code of this user is accepted until the oldest of them ages out."""


class CodeMismatch(Exception):
    """The code read back is not the one sent."""

    def __init__(self, attempts_left: int) -> None:
        super().__init__(f"{attempts_left} attempts left")
        self.attempts_left = attempts_left


class TooManyCodes(Exception):
    """The user or the agent has had as many codes as the limit allows for now."""

    def __init__(self, who: str, retry_after: int) -> None:
        super().__init__(who)
        self.who, self.retry_after = who, retry_after


class Limit(BaseModel):
    """At most `count` codes in any `window`."""

    model_config = ConfigDict(frozen=True)

    count: int = Field(ge=1)
    window: timedelta


class VerificationCode(Versioned):
    """A code asked for by an agent for one user; `digest` is set once the code is made and mailed."""

    code_id: str
    user_id: str
    org_id: str
    partner_id: str
    agent_id: str
    address: str
    name: str
    locale: str = "en"
    requested_at: datetime
    expires_at: datetime
    digest: str | None = None
    verified_at: datetime | None = None


class Tally(Versioned):
    """The recent codes sent to one user or by one agent, and a user's recent wrong tries, each by its time."""

    sent: tuple[datetime, ...] = ()
    wrong_tries: tuple[datetime, ...] = ()


def new_code(digits: int) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def digest_of(secret: bytes, code_id: str, code: str) -> str:
    """The keyed hash kept instead of the code: a copy of the database does not give the codes away."""
    return hmac.new(secret, f"{code_id}:{code}".encode(), hashlib.sha256).hexdigest()


def read_back(text: str) -> str:
    """The code as a caller reads it out and an agent types it: spaces and dashes do not count."""
    return "".join(ch for ch in text if ch not in " -\u00a0")


def masked(address: str) -> str:
    """The address as an agent may see it in an answer: j***@acme.example."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def sending(tally: Tally | None, limit: Limit, who: str, now: datetime) -> Tally:
    """The tally with one more code sent now; TooManyCodes, saying when to try again, past the limit."""
    recent = tuple(at for at in (tally.sent if tally else ()) if at > now - limit.window)
    if len(recent) >= limit.count:
        wait = (min(recent) + limit.window - now).total_seconds()
        raise TooManyCodes(who, max(1, math.ceil(wait)))
    current = tally or Tally()
    return current.model_copy(update={"sent": (*recent, now)})


def wrong_tries(tally: Tally | None, now: datetime) -> tuple[datetime, ...]:
    return tuple(at for at in (tally.wrong_tries if tally else ()) if at > now - WRONG_TRIES_WINDOW)


def require_checkable(code: VerificationCode | None, user_id: str, now: datetime) -> VerificationCode:
    """The code, if the caller may still try it now; else why not."""
    if code is None or code.user_id != user_id or code.digest is None:
        raise CodeNotFound(user_id)
    if code.verified_at is not None:
        raise CodeUsed(code.code_id)
    if now >= code.expires_at:
        raise CodeExpired(code.code_id)
    return code


def wrong_try(tally: Tally | None, now: datetime) -> tuple[Tally, int]:
    """The user's tally with one more wrong try, and the tries left; CodeLocked when none were left."""
    recent = wrong_tries(tally, now)
    if len(recent) >= MAX_WRONG_TRIES:
        raise CodeLocked
    current = tally or Tally()
    return current.model_copy(update={"wrong_tries": (*recent, now)}), MAX_WRONG_TRIES - len(recent) - 1


def verified(code: VerificationCode | None, now: datetime) -> VerificationCode:
    """The code, used; CodeUsed when a concurrent check used it first."""
    if code is None or code.verified_at is not None:
        raise CodeUsed(code.code_id if code else "")
    return code.model_copy(update={"verified_at": now})
