"""What an agent searches for (an address, a phone number, a name) is kept in the audit trail, never in a log line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest

from contracts.gateway import AgentActionRecorded
from runtime import logs
from tests.product import login, running

pytestmark = pytest.mark.e2e

SEARCHED = ["jane.doe@acme.example", "+1 415 555 0100"]


def written_forms(text: str) -> set[str]:
    """The text as a log line could carry it: as typed, in a URL's query string, or as the phone number's E.164."""
    forms = {text, quote(text), quote(text, safe=""), quote_plus(text)}
    if text.startswith("+"):
        forms.add("+" + "".join(c for c in text if c.isdigit()))
    return forms


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Puts back every logger as it was: configuring the product's logging changes the root's handlers and the
    levels of some libraries' loggers, which other tests (caplog) rely on."""
    manager = logging.Logger.manager
    loggers = [logging.getLogger(), *(item for item in manager.loggerDict.values() if isinstance(item, logging.Logger))]
    saved = [(logger, logger.level, logger.handlers[:], logger.filters[:], logger.propagate, logger.disabled)
             for logger in loggers]
    try:
        yield
    finally:
        for logger, level, handlers, filters, propagate, disabled in saved:
            logger.setLevel(level)
            logger.handlers[:], logger.filters[:] = handlers, filters
            logger.propagate, logger.disabled = propagate, disabled


@pytest.mark.usefixtures("restored_logging")
@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
async def test_the_searched_text_is_in_the_audit_event_and_in_no_log_line(level: str) -> None:
    output = io.StringIO()
    logs.configure("embedded", level, stream=output)  # as `helpdesk up` and `helpdesk serve` do

    async with running() as (product, client):
        agent = await login(client, "agent@northwind.example")
        answers = [await client.get("/api/v1/search", params={"q": text}, headers=agent) for text in SEARCHED]
        await product.settle()
        audited = [e.target_id for e in product.bus.published([AgentActionRecorded.TOPIC])
                   if isinstance(e, AgentActionRecorded) and e.action == "search"]

    assert [answer.status_code for answer in answers] == [200, 200]
    assert audited == SEARCHED
    written = output.getvalue()
    assert written  # the product did log, so an absence below means something
    leaked = sorted(form for text in SEARCHED for form in written_forms(text) if form in written)
    assert leaked == [], [line for line in written.splitlines() if any(form in line for form in leaked)]
