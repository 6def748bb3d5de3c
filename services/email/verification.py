"""Email's use-cases for verification codes: reserve one within the limits, make and mail it, check it."""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from contracts.email import CodeSent, CodeVerificationFailed, CodeVerified
from contracts.gateway import CodeRequested
from runtime import metrics
from runtime.logs import current_correlation_id
from runtime.times import utc_now
from runtime.versioned import Decision
from services.email import codes, templates
from services.email.codes import Limit, Tally, VerificationCode
from services.email.domain import Address
from services.email.outgoing import Mail, OutgoingStore, Seal, queue_mail
from services.email.store import CodeStore, TallyStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CodeRules:
    """How codes are made and limited, from the settings."""

    secret: bytes
    digits: int
    per_user: Limit
    per_agent: Limit

    def __post_init__(self) -> None:
        metrics.enforcing(*(_limit_name(who) for who in _COUNTED))  # its refusals shown at 0 from the start


class CodeRequest(BaseModel):
    """An agent's request for a code for one user, as the gateway makes it once the agent may see the user."""

    user_id: str = Field(min_length=1, max_length=256)
    org_id: str = Field(min_length=1, max_length=256)
    partner_id: str = Field(min_length=1, max_length=256)
    agent_id: str = Field(min_length=1, max_length=256)
    address: Address
    name: str = Field("", max_length=256)
    locale: str = Field("en", max_length=8)


class Reserved(BaseModel):
    code_id: str
    expires_at: datetime
    sent_to: str = Field(description="The address the code goes to, masked.")


_COUNTED = ("user", "agent")  # whose codes are counted: codes.TooManyCodes.who


def _limit_name(who: str) -> str:
    """The `limit` label of a refusal of codes: code_per_user, code_per_agent."""
    return f"code_per_{who}"


async def reserve_code(request: CodeRequest, store: CodeStore, tallies: TallyStore, rules: CodeRules,
                       now: datetime | None = None) -> Reserved:
    """Count a code against the user's and the agent's limits (TooManyCodes past either) and keep what is needed
    to make and mail it when the gateway's CodeRequested arrives."""
    at = now or utc_now()
    user, agent = f"user:{request.user_id}", f"agent:{request.agent_id}"
    try:
        # Both limits are checked before either is spent, so a refusal for one does not use up the other.
        codes.sending(await tallies.get(user), rules.per_user, "user", at)
        codes.sending(await tallies.get(agent), rules.per_agent, "agent", at)
        await tallies.change(user, _sending(rules.per_user, "user", at))
        await tallies.change(agent, _sending(rules.per_agent, "agent", at))
    except codes.TooManyCodes as refused:
        metrics.rate_limit_refused(_limit_name(refused.who))
        raise
    record = VerificationCode(code_id=str(uuid.uuid4()), requested_at=at, expires_at=at + codes.CODE_LIFETIME,
                              **request.model_dump())
    await store.change(record.code_id, lambda current: (record, []) if current is None else None)
    return Reserved(code_id=record.code_id, expires_at=record.expires_at, sent_to=codes.masked(record.address))


def _sending(limit: Limit, who: str, at: datetime) -> Callable[[Tally | None], Decision[Tally]]:
    return lambda tally: (codes.sending(tally, limit, who, at), [])


async def issue_code(request: CodeRequested, store: CodeStore, outgoing: OutgoingStore, seal: Seal,
                     rules: CodeRules) -> bool:
    """Make the requested code, keep its keyed hash and mail it (CodeSent goes with the mail). The mail's id is
    the code's, so a request delivered again mails nothing more; if a failure came between the hash and the
    mail, the repeat makes a new code, as the first never reached anyone."""
    record = await store.get(request.code_id)
    if record is None or record.user_id != request.user_id:
        log.warning("verification code requested without its reservation", extra={"code_id": request.code_id})
        return False
    if await outgoing.get(request.code_id) is not None:
        return False
    code = codes.new_code(rules.digits)
    digest = codes.digest_of(rules.secret, record.code_id, code)
    await store.change(record.code_id, lambda current: (current.model_copy(update={"digest": digest}), [])
                       if current is not None else None)
    minutes = int(codes.CODE_LIFETIME.total_seconds() // 60)
    subject, text, html = templates.verification_code(code, record.name, record.locale, minutes)
    mail = Mail(id=record.code_id, to=record.address, kind="verification_code", locale=_locale(record.locale),
                subject=subject, text=text, html=html)
    sent = CodeSent(code_id=record.code_id, user_id=record.user_id, org_id=record.org_id, agent_id=record.agent_id,
                    partner_id=record.partner_id, sent_to=codes.masked(record.address),
                    expires_at=record.expires_at, correlation_id=current_correlation_id())
    return await queue_mail(mail, outgoing, seal, [sent])


def _locale(locale: str) -> Literal["en", "it"]:
    return "it" if locale == "it" else "en"


async def check_code(code_id: str, user_id: str, given: str, store: CodeStore, tallies: TallyStore,
                     rules: CodeRules, now: datetime | None = None) -> None:
    """Return when `given` is the user's code, now used; else raise why not (mismatch with the tries left,
    locked, expired, used, unknown). Compared in constant time; a wrong try counts against the user, whichever
    of their codes it was made on."""
    at = now or utc_now()
    record = codes.require_checkable(await store.get(code_id), user_id, at)
    assert record.digest is not None
    right = hmac.compare_digest(record.digest, codes.digest_of(rules.secret, code_id, codes.read_back(given)))
    tally_key = f"user:{user_id}"
    if not right:
        left = await _count_wrong_try(record, tallies, tally_key, at)
        raise codes.CodeLocked if left == 0 else codes.CodeMismatch(left)
    if len(codes.wrong_tries(await tallies.get(tally_key), at)) >= codes.MAX_WRONG_TRIES:
        raise codes.CodeLocked
    verified = CodeVerified(code_id=code_id, user_id=user_id, org_id=record.org_id, agent_id=record.agent_id,
                            partner_id=record.partner_id, correlation_id=current_correlation_id())
    await store.change(code_id, lambda current: (codes.verified(current, at), [verified]))


async def _count_wrong_try(record: VerificationCode, tallies: TallyStore, key: str, at: datetime) -> int:
    left = 0

    def decide(tally: Tally | None) -> Decision[Tally]:
        nonlocal left
        counted, left = codes.wrong_try(tally, at)
        return counted, [CodeVerificationFailed(
            code_id=record.code_id, user_id=record.user_id, org_id=record.org_id, agent_id=record.agent_id,
            partner_id=record.partner_id, attempts_left=left, locked=left == 0,
            correlation_id=current_correlation_id())]

    await tallies.change(key, decide)
    return left
