"""Verification codes: mail one to a user, then check the code the caller reads back.

A verified code shows that the caller reads the user's mailbox now. It is not enough to reset a password or
credentials, nor to change who administers an organisation.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from contracts.gateway import CodeRequested
from gateway.audit import AuditDep, CommandsDep
from gateway.auth import HelpdeskAgent
from gateway.deps import ServicesDep
from gateway.schemas import CODE_PROOF, COMMON_ERRORS, CodeChecked, CodeSent, CodeToCheck, errors
from gateway.tenancy import identity_view
from runtime.logs import current_correlation_id
from runtime.web import ApiError

router = APIRouter(prefix="/api/v1/users/{user_id}/verification-codes", tags=["helpdesk"],
                   responses={**COMMON_ERRORS, **errors(404)})


@router.post("", status_code=202, response_model=CodeSent, responses=errors(429),
             summary="Mail the user a verification code, to confirm the caller is that user.",
             description=f"{CODE_PROOF} At most 3 codes per user in 15 minutes, and a limit per agent (429 with "
                         "Retry-After).")
async def send(user_id: str, agent: HelpdeskAgent, services: ServicesDep, audit: AuditDep, commands: CommandsDep
               ) -> dict[str, Any]:
    user = await identity_view("user", services.identity.user, user_id, agent)
    reserved = await services.email.reserve_code(user, agent.user_id, agent.partner_id)
    await audit.record(agent, "user.code_sent", "user", user_id, user["org_id"])
    await commands.send(CodeRequested(code_id=reserved["code_id"], user_id=user_id, org_id=user["org_id"],
                                      agent_id=agent.user_id, partner_id=agent.partner_id,
                                      correlation_id=current_correlation_id()))
    return reserved


@router.post("/{code_id}/check", response_model=CodeChecked, responses=errors(410, 423),
             summary="Check the code the caller reads back: verified, or why not (attempts left, locked, expired).",
             description=f"{CODE_PROOF} A wrong code answers 422 `code_mismatch` with `attempts_left`; the fifth "
                         "wrong try for a user, across their codes, locks them out for 15 minutes (423 "
                         "`code_locked`); a code lasts 10 minutes (410 `code_expired`) and is used once "
                         "(410 `code_used`).")
async def check(user_id: str, code_id: str, body: CodeToCheck, agent: HelpdeskAgent, services: ServicesDep,
                audit: AuditDep) -> dict[str, Any]:
    user = await identity_view("user", services.identity.user, user_id, agent)
    try:
        checked = await services.email.check_code(code_id, user_id, body.code)
    except ApiError as refused:
        if refused.status in (404, 410, 422, 423):
            await audit.record(agent, "user.code_rejected", "user", user_id, user["org_id"])
        raise
    await audit.record(agent, "user.code_verified", "user", user_id, user["org_id"])
    return checked
