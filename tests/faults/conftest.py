"""What the fault modules share: a mail server of each module's own, which a test may stop and start again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.cluster_fixtures import MailServer, mail_server


@pytest.fixture(scope="module")
def mail() -> Iterator[MailServer]:
    with mail_server() as server:
        yield server
