"""The mail server down for a minute: the API still takes the agents' requests for codes, the email service defers
their mail and tries again by its retry settings, and once the server is back each mail arrives exactly once and
its code still checks. The server is one this test starts itself, on a port it keeps."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from functools import partial

import httpx
import pytest

from tests.faults.cluster_fixtures import (
    AGENT,
    OPERATOR,
    KillableCluster,
    MailServer,
    login,
    running,
    timed,
    until,
)

# Starting the processes and waiting a fault out can take minutes on a busy machine: more than the suite's 180 s.
pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.timeout(300)]

DOWN_SECONDS = 60.0
# A deferred mail is tried again every 5 s (factor 1) for two minutes (24 tries): once the server is back, each
# mail goes within 5 s, and a server down for longer than that would see the mail failed rather than kept forever.
SETTINGS = {"EMAIL_RETRY_FIRST_DELAY_SECONDS": "5", "EMAIL_RETRY_FACTOR": "1", "EMAIL_SEND_ATTEMPTS": "24"}
CALLERS = 3
ANSWER_SECONDS = 10.0  # the gateway's timeout for a call to a service: no answer may take longer


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, mail: MailServer) -> Iterator[KillableCluster]:
    with running(tmp_path_factory.mktemp("mail_server"), mail=mail, settings=SETTINGS) as started:
        yield started


def test_codes_asked_while_the_mail_server_is_down_are_mailed_once_each_when_it_is_back(
        cluster: KillableCluster, mail: MailServer) -> None:
    callers = [{"type": "user", "id": f"u-caller-{n}", "org_id": "o-acme", "first_name": "Cara",
                "last_name": f"Caller{n}", "email": f"caller{n}.{cluster.run_id}@acme.example"} for n in range(CALLERS)]
    addresses = [caller["email"] for caller in callers]
    with httpx.Client(base_url=cluster.url("gateway"), timeout=30) as client:
        imported = client.post("/api/v1/operator/import", headers=login(client, OPERATOR),
                               content="".join(json.dumps(caller) + "\n" for caller in callers))
        assert imported.json()["accepted"] == CALLERS, imported.text
        agent = login(client, AGENT)

        def statuses() -> list[list[str]]:
            """Each caller's messages, as the agent sees them on the user's page."""
            return [[message["status"] for message in client.get(
                f"/api/v1/users/{caller['id']}/email", headers=agent).json()["messages"]] for caller in callers]

        mail.stop()
        down_at = time.monotonic()
        asked = [timed(partial(client.post, f"/api/v1/users/{caller['id']}/verification-codes", headers=agent))
                 for caller in callers]
        deferred = until(statuses, 30, "every caller's mail deferred",
                         done=lambda seen: seen == [["deferred"]] * CALLERS)
        time.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - down_at)))
        still_deferred = statuses()
        mail.start()
        sent = until(statuses, 30, "every caller's mail sent", done=lambda seen: seen == [["sent"]] * CALLERS)
        checked = [client.post(f"/api/v1/users/{caller['id']}/verification-codes/{answer.json()['code_id']}/check",
                               json={"code": _code_in(mail, caller["email"])}, headers=agent).json()
                   for caller, (answer, _) in zip(callers, asked, strict=True)]

    assert [(answer.status_code, seconds < ANSWER_SECONDS) for answer, seconds in asked] == [(202, True)] * CALLERS
    assert deferred == still_deferred == [["deferred"]] * CALLERS
    assert sent == [["sent"]] * CALLERS
    assert mail.counts(addresses) == dict.fromkeys(addresses, 1)
    assert checked == [{"verified": True}] * CALLERS


def _code_in(mail: MailServer, address: str) -> str:
    (letter,) = mail.to(address)
    text = next(part.get_payload(decode=True) for part in letter.walk() if part.get_content_type() == "text/plain")
    assert isinstance(text, bytes)
    return str(re.findall(r"\b\d{6}\b", text.decode())[0])
