"""The email service's composition root: its store, outbox relay, HTTP API and subscriptions; connects nothing."""

from __future__ import annotations

import secrets
from datetime import timedelta

from runtime.outbox import OutboxRelay
from runtime.service import Infrastructure, Service
from runtime.web import Refusal, Refusals, create_app
from services.email import api, codes, consumers, demo
from services.email.codes import Limit
from services.email.config import EmailSettings
from services.email.domain import InvalidAddress, NotSuppressed
from services.email.mailers import NoOutbox, mailer_for
from services.email.outgoing import ClaimStore, OutgoingStore, Seal
from services.email.sender import MailSender
from services.email.store import AddressStore, CodeStore, TallyStore
from services.email.verification import CodeRules

REFUSALS: Refusals = {
    InvalidAddress: Refusal(422, "invalid_address"),
    NotSuppressed: Refusal(404, "not_suppressed", "This address is not on the suppression list."),
    NoOutbox: Refusal(404, "no_outbox", "This service sends real mail: read it in the recipient's mailbox."),
    codes.CodeNotFound: Refusal(404, "code_not_found", "No such code was sent to this user. Send a new one."),
    codes.CodeMismatch: Refusal(422, "code_mismatch", "This is not the code that was sent.",
                                details=lambda error: {"attempts_left": getattr(error, "attempts_left", 0)}),
    codes.CodeLocked: Refusal(423, "code_locked", "Too many wrong codes for this user: no code is accepted for 15 "
                                                  "minutes. Then send a new one."),
    codes.CodeExpired: Refusal(410, "code_expired", "This code has expired (codes last 10 minutes). Send a new one."),
    codes.CodeUsed: Refusal(410, "code_used", "This code was already used. Send a new one to check again."),
    codes.TooManyCodes: Refusal(
        429, "too_many_codes", lambda error: f"Too many codes for this {getattr(error, 'who', 'user')} for now. "
                                             f"Try again in {_minutes(getattr(error, 'retry_after', 60))}.",
        headers=lambda error: {"Retry-After": str(getattr(error, "retry_after", 60))}),
}


def _minutes(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def code_rules(settings: EmailSettings) -> CodeRules:
    # Without EMAIL_SECRET (the embedded mode only: the settings require it otherwise) a key of this process's own.
    secret = settings.secret.encode() if settings.secret else secrets.token_bytes(32)
    return CodeRules(secret=secret, digits=settings.code_digits,
                     per_user=Limit(count=settings.codes_per_user,
                                    window=timedelta(minutes=settings.codes_per_user_minutes)),
                     per_agent=Limit(count=settings.codes_per_agent_hour, window=timedelta(hours=1)))


def build(settings: EmailSettings, infrastructure: Infrastructure) -> Service:
    store = AddressStore.kept_by(infrastructure.documents)
    outgoing = OutgoingStore.kept_by(infrastructure.documents)
    seal = Seal.from_secret(settings.secret.encode()) if settings.secret else Seal.of_this_process()
    mailer = mailer_for(settings)
    claims = ClaimStore.kept_by(infrastructure.documents)
    sender = MailSender.for_settings(settings, outgoing, claims, store, seal, mailer)
    code_store, tallies = CodeStore.kept_by(infrastructure.documents), TallyStore.kept_by(infrastructure.documents)
    rules = code_rules(settings)
    relay = OutboxRelay([store.documents, outgoing.documents, code_store.documents, tallies.documents],
                        infrastructure.bus)
    outgoing.when_queued(sender.kick)
    outgoing.when_queued(relay.kick)  # what was announced with the mail goes out with it
    app = create_app("Help Desk email service", infrastructure.checks, REFUSALS)
    app.include_router(api.router(store, relay, outgoing))
    app.include_router(api.outbox_router(mailer))
    app.include_router(api.verification_router(code_store, tallies, rules, relay))

    async def seed() -> None:
        if settings.seed == "demo":
            await demo.seed(store)

    subscriptions = consumers.subscriptions(code_store, outgoing, seal, rules)
    return Service("email", app, subscriptions=subscriptions, relay=relay, unreachable=infrastructure.unreachable,
                   on_start=[store.create_indexes, outgoing.create_indexes, claims.create_indexes,
                             code_store.create_indexes, tallies.create_indexes, seed, sender.start],
                   on_stop=[sender.stop])
