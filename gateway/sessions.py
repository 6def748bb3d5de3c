"""Which read-only sessions are open now: a projection of the access service's session events.

Every gateway replica reads the whole `access.sessions` topic from the beginning (a replay subscription), so each
one knows every session by the hash of its token, and refuses an ended session's token as soon as the access
service's announcement reaches it. A session's 15 minutes are checked on each request by the replica's own clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from contracts import Event
from contracts.access import ReadOnlySessionEnded, ReadOnlySessionStarted
from runtime.bus import Subscription, subscribe
from runtime.times import utc_now


@dataclass(frozen=True)
class OpenSession:
    """A session as the gateway checks it: the one org, agent and partner it names, until when, and why it ended."""

    session_id: str
    org_id: str
    agent_id: str
    agent_email: str
    partner_id: str
    reason: str
    expires_at: datetime
    ended_why: str | None = None


class SessionProjection:
    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self.clock = clock
        self._by_token: dict[str, OpenSession] = {}  # by the SHA-256 of the token
        self._token_of: dict[str, str] = {}  # session id -> its token's hash
        self._ended_unknown: dict[str, str] = {}  # ends of sessions whose start this replica has not read

    def session(self, token: str) -> OpenSession | None:
        """The session this token opens, as last announced (ended or not); None for a token of no session."""
        return self._by_token.get(hashlib.sha256(token.encode()).hexdigest())

    def opened(self, token: str, session: OpenSession) -> None:
        """A session this replica has just opened: its token works here at once, before its announcement is read
        back (which then changes nothing)."""
        token_hash = hashlib.sha256(token.encode()).hexdigest()
        self._token_of.setdefault(session.session_id, token_hash)
        ended_why = self._ended_unknown.pop(session.session_id, None)  # its end was read before its start
        self._by_token.setdefault(token_hash, replace(session, ended_why=ended_why))

    async def apply(self, event: Event) -> None:
        if isinstance(event, ReadOnlySessionStarted) and event.token_hash:
            self._forget_long_over()
            if event.token_hash in self._by_token:
                return  # opened here, or delivered again: an end read meanwhile must not be undone
            self._token_of[event.session_id] = event.token_hash
            self._by_token[event.token_hash] = OpenSession(
                event.session_id, event.org_id, event.agent_id, event.agent_email, event.partner_id or "",
                event.reason, event.expires_at)
        elif isinstance(event, ReadOnlySessionEnded):
            token_hash = self._token_of.get(event.session_id)
            session = self._by_token.get(token_hash) if token_hash else None
            if token_hash and session is not None:
                self._by_token[token_hash] = replace(session, ended_why=event.why)
            elif len(self._ended_unknown) < 10_000:
                self._ended_unknown[event.session_id] = event.why

    def _forget_long_over(self) -> None:
        """Drop sessions a day past their end, so a replica's memory holds about a day of them: a token that old
        answers as unknown rather than expired, which refuses it all the same."""
        if len(self._by_token) < 1000:
            return
        horizon = self.clock().timestamp() - 86_400
        for token_hash, session in list(self._by_token.items()):
            if session.expires_at.timestamp() < horizon:
                del self._by_token[token_hash]
                self._token_of.pop(session.session_id, None)

    def subscription(self) -> Subscription:
        return subscribe("gateway.sessions", {ReadOnlySessionStarted: self.apply, ReadOnlySessionEnded: self.apply},
                         replay=True)
