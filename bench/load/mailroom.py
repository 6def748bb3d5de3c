"""The run's verification codes as the local SMTP server received them.

deploy/local's server keeps every mail in a Maildir (aiosmtpd's Mailbox handler), the recipient in the X-RcptTo
header; the distributed mode sends real mail, so that is where an agent reads the code a caller would read back.
Only the mails whose recipient names the run (its callers' addresses do) are read, and the run deletes them when
it ends.
"""

from __future__ import annotations

import email
import re
import time
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

CODE = re.compile(r"\b\d{6}\b")  # the email service's codes: 6 digits (EMAIL_CODE_DIGITS)
REFRESH_SECONDS = 0.25


@dataclass(frozen=True)
class Received:
    code: str
    at: float  # when the server wrote it (Unix time)


@dataclass
class Mailroom:
    maildir: Path
    marker: str
    _seen: set[str] = field(default_factory=set)
    _codes: dict[str, list[Received]] = field(default_factory=dict)
    _refreshed: float = 0.0

    def code_for(self, address: str, sent_after: float) -> Received | None:
        """The code of the first mail to `address` received after `sent_after` (Unix time), if it has come."""
        if time.monotonic() - self._refreshed > REFRESH_SECONDS:
            self.refresh()
        return next((mail for mail in self._codes.get(address.lower(), []) if mail.at >= sent_after), None)

    def refresh(self) -> None:
        self._refreshed = time.monotonic()
        for path in _mails(self.maildir):
            if path.name in self._seen:
                continue
            self._seen.add(path.name)
            try:
                message, at = _read(path), path.stat().st_mtime
            except FileNotFoundError:  # moved from new/ to cur/ meanwhile: read under its new name
                self._seen.discard(path.name)
                continue
            recipient = message.get("X-RcptTo", "").lower()
            found = CODE.search(_text(message)) if self.marker in recipient else None
            if found is not None:
                self._codes.setdefault(recipient, []).append(Received(found.group(), at))
                self._codes[recipient].sort(key=lambda mail: mail.at)


def forget(maildir: Path, marker: str) -> int:
    """Delete the mails to the run's addresses; how many."""
    deleted = 0
    for path in _mails(maildir):
        try:
            if marker in _read(path).get("X-RcptTo", "").lower():
                path.unlink()
                deleted += 1
        except FileNotFoundError:
            continue
    return deleted


def _mails(maildir: Path) -> list[Path]:
    return [path for folder in ("new", "cur") if (maildir / folder).is_dir() for path in (maildir / folder).iterdir()]


def _read(path: Path) -> Message:
    with path.open("rb") as file:
        return email.message_from_binary_file(file)


def _text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    return ""
