"""The agent web UI in a real headless Chromium, against the product started with `helpdesk up`: each page and flow,
under the Content-Security-Policy and without a request leaving the product, in English and Italian, screenshots of
every page at two widths (in .artifacts/screenshots/), none wider than the window (a wide table scrolls in its own
region) and no serious accessibility violation (axe-core)."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tests.e2e.processes import embedded_product

pytestmark = pytest.mark.e2e

try:
    from playwright.sync_api import Browser, Page, Route, expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("playwright is not installed: pip install -e '.[dev]'", allow_module_level=True)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
AGENT = "agent@northwind.example"
OTHER_PARTNERS_AGENT = "agent@contoso.example"
CUSTOMER_ADMIN = "it@acme.example"
ADVANCED_AGENT = "advanced@northwind.example"
PARTNER_ADMIN = "admin@northwind.example"
OPERATOR = "operator@helpdesk.local"
SCREENSHOTS = Path(__file__).parents[2] / ".artifacts" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def product_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with embedded_product(tmp_path_factory.mktemp("ui")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser, product_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=product_url, viewport={"width": 1100, "height": 800}, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/")
    try:
        yield page
    finally:
        context.close()


def sign_in(page: Page, email: str) -> None:
    page.get_by_test_id("login-email").fill(email)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("sign-out")).to_be_visible()


def search(page: Page, text: str) -> None:
    box = page.get_by_test_id("search-input")
    box.fill(text)
    box.press("Enter")
    expect(page.get_by_test_id("results")).to_have_attribute("data-q", text)


def test_an_agent_searching_a_name_sees_the_user_and_what_matched(page: Page) -> None:
    sign_in(page, AGENT)
    expect(page.get_by_test_id("user-name")).to_have_text("Alex Agent")
    expect(page.get_by_test_id("user-roles")).to_contain_text("helpdesk")
    expect(page.get_by_test_id("search-input")).to_be_focused()

    search(page, "jane")

    users = page.get_by_test_id("group-users")
    expect(users.get_by_role("heading")).to_have_text("Users1")
    jane = users.get_by_test_id("hit")
    expect(jane).to_have_count(1)
    expect(jane.get_by_test_id("hit-title")).to_have_text("Jane Doe")
    expect(jane.get_by_test_id("hit-subtitle")).to_have_text("jane.doe@acme.example")
    expect(jane.get_by_test_id("hit-matched")).to_have_text("matched: name = Jane Doe")
    expect(page.get_by_test_id("interpretations")).to_contain_text("Read as: text")


def test_results_appear_as_the_agent_types(page: Page) -> None:
    sign_in(page, AGENT)

    page.get_by_test_id("search-input").press_sequentially("jane.doe@acme.example", delay=20)

    expect(page.get_by_test_id("group-users").get_by_test_id("hit-matched")).to_have_text(
        "matched: e-mail = jane.doe@acme.example")
    expect(page.get_by_test_id("interpretations")).to_have_text("Read as: e-mail")


def test_an_agent_searching_a_company_sees_the_customer(page: Page) -> None:
    sign_in(page, AGENT)

    search(page, "acme")

    customers = page.get_by_test_id("group-customers")
    expect(customers.get_by_test_id("hit-title")).to_have_text(["Acme Corporation"])
    expect(customers.get_by_test_id("hit")).to_have_attribute("data-id", "o-acme")


def test_an_agent_of_another_partner_finds_nothing_of_this_partners_customers(page: Page) -> None:
    sign_in(page, OTHER_PARTNERS_AGENT)

    search(page, "jane")

    expect(page.get_by_test_id("empty")).to_have_text("No matches for “jane”.")
    expect(page.get_by_test_id("hit")).to_have_count(0)


def test_a_customer_admin_lands_on_their_own_page_and_is_told_the_search_needs_the_help_desk_role(page: Page) -> None:
    sign_in(page, CUSTOMER_ADMIN)
    expect(page.get_by_test_id("customer-admin-page")).to_be_visible()
    expect(page.get_by_test_id("nav-customer-admin")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("nav-search")).to_have_count(0)

    page.goto("/#/search")

    expect(page.get_by_test_id("needs-role")).to_contain_text("needs the Help Desk role")
    expect(page.get_by_test_id("search-input")).to_be_hidden()


def test_an_unknown_email_is_refused_with_the_apis_message(page: Page) -> None:
    page.get_by_test_id("login-email").fill("nobody@northwind.example")
    page.get_by_test_id("login-submit").click()

    expect(page.get_by_role("alert")).to_have_text("No user has this e-mail address.")
    expect(page.get_by_test_id("signin-view")).to_be_visible()
    expect(page.get_by_test_id("sign-out")).to_be_hidden()


def test_signing_out_returns_to_sign_in_and_forgets_the_token(page: Page) -> None:
    sign_in(page, AGENT)

    page.get_by_test_id("sign-out").click()

    expect(page.get_by_test_id("signin-view")).to_be_visible()
    expect(page.get_by_test_id("search-input")).to_be_hidden()
    page.reload()
    expect(page.get_by_test_id("signin-view")).to_be_visible()


def test_a_rejected_token_returns_to_sign_in_with_the_reason(page: Page) -> None:
    sign_in(page, AGENT)
    page.evaluate("sessionStorage.setItem('helpdesk.token', 'not-a-token')")

    search_box = page.get_by_test_id("search-input")
    search_box.fill("jane")
    search_box.press("Enter")

    expect(page.get_by_test_id("signin-view")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("sign in again")


def test_server_data_is_shown_as_text_never_as_markup(page: Page) -> None:
    sign_in(page, AGENT)

    search(page, "<img src=x onerror=window.pwned=1>")

    expect(page.get_by_test_id("empty")).to_contain_text("<img src=x onerror=window.pwned=1>")
    assert page.evaluate("window.pwned") is None
    assert page.locator("[data-testid=results] img").count() == 0


@pytest.fixture
def watched(browser: Browser, product_url: str) -> Iterator[tuple[Page, list[str]]]:
    """A page not yet opened, with what the browser refused under the Content-Security-Policy and every request
    that would leave the product (refused here, as they would be on a machine without internet access)."""
    context = browser.new_context(base_url=product_url, viewport={"width": 1100, "height": 800}, locale="en-US")
    context.set_default_timeout(10_000)
    refused: list[str] = []

    def stay_inside(route: Route) -> None:
        if route.request.url.startswith(product_url):
            route.continue_()
        else:
            refused.append(f"left the product: {route.request.url}")
            route.abort()

    context.route("**/*", stay_inside)
    page = context.new_page()
    page.on("console", lambda message: refused.append(message.text) if _csp_violation(message.text) else None)
    page.on("pageerror", lambda error: refused.append(str(error)))
    try:
        yield page, refused
    finally:
        context.close()


def _csp_violation(text: str) -> bool:
    return "Content Security Policy" in text or "Refused to" in text


def test_the_console_works_under_its_content_security_policy(watched: tuple[Page, list[str]]) -> None:
    page, refused = watched
    answer = page.goto("/")
    assert answer is not None
    assert "script-src 'self'" in answer.headers["content-security-policy"]

    sign_in(page, AGENT)
    search(page, "jane")

    expect(page.get_by_test_id("group-users").get_by_test_id("hit")).to_have_count(1)
    assert refused == []


def test_the_api_docs_show_every_operation_without_leaving_the_product(watched: tuple[Page, list[str]]) -> None:
    page, refused = watched

    page.goto("/docs")

    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/search")).to_have_count(1)
    assert refused == []


@pytest.mark.parametrize("width", [1280, 400])
def test_the_events_page_shows_every_event_with_its_fields_descriptions(
        watched: tuple[Page, list[str]], width: int) -> None:
    page, refused = watched
    page.set_viewport_size({"width": width, "height": 900})

    page.goto("/asyncapi")

    users = page.locator("#UserUpserted")
    expect(users.get_by_role("heading", name="UserUpserted")).to_be_visible()
    expect(users.get_by_role("cell", name="user.email", exact=True)).to_be_visible()
    expect(users.get_by_role("cell", name="The user's e-mail address, normalised.")).to_be_visible()
    expect(page.locator("section.topic")).to_have_count(13)
    _screenshot_and_audit(page, "events", "en", width)
    assert refused == []


def _mailed_code(product_url: str, to: str) -> str:
    headers = _bearer(product_url, OPERATOR)
    deadline = time.monotonic() + 10
    while True:
        mails = httpx.get(f"{product_url}/api/v1/operator/outbox", params={"to": to}, headers=headers).json()
        if mails or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return str(re.findall(r"\b\d{6}\b", mails[0]["text"])[0])


def _bearer(product_url: str, email: str) -> dict[str, str]:
    login = httpx.post(f"{product_url}/api/v1/auth/demo-login", json={"email": email})
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def test_an_agent_sends_a_user_a_code_and_checks_what_the_caller_reads_back(page: Page, product_url: str) -> None:
    sign_in(page, AGENT)
    search(page, "jane")
    page.get_by_test_id("group-users").get_by_test_id("hit-title").click()
    panel = page.get_by_test_id("user-panel")
    expect(panel.get_by_test_id("user-panel-name")).to_have_text("Jane Doe")
    expect(panel.get_by_test_id("code-proof")).to_contain_text("not enough to reset a password")

    panel.get_by_test_id("code-send").click()
    expect(panel.get_by_test_id("code-outcome")).to_contain_text("Code sent to j***@acme.example")
    code = _mailed_code(product_url, "jane.doe@acme.example")
    panel.get_by_test_id("code-input").fill("000000" if code != "000000" else "111111")
    panel.get_by_test_id("code-check").click()
    expect(panel.get_by_test_id("code-outcome")).to_have_text("Wrong code: 4 attempts left.")
    panel.get_by_test_id("code-input").fill(code)
    panel.get_by_test_id("code-check").click()

    expect(panel.get_by_test_id("code-outcome")).to_have_text("Verified: the caller reads this user's mailbox now.")


# Search with the keyboard, and pages with addresses

def test_the_keyboard_moves_through_results_and_opens_one(page: Page) -> None:
    sign_in(page, AGENT)
    search(page, "acme")
    box = page.get_by_test_id("search-input")

    box.press("ArrowDown")
    expect(page.get_by_test_id("group-customers").get_by_test_id("hit-title")).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(box).to_be_focused()
    box.press("ArrowDown")
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("customer-name")).to_have_text("Acme Corporation")
    assert page.url.endswith("#/customers/o-acme")
    page.go_back()
    expect(page.get_by_test_id("results")).to_have_attribute("data-q", "acme")
    page.locator("body").press("/")
    expect(box).to_be_focused()
    box.press("Escape")
    expect(box).to_have_value("")
    expect(page.get_by_test_id("hit")).to_have_count(0)


def test_a_hit_names_its_customer_and_marks_what_matched(page: Page) -> None:
    sign_in(page, AGENT)

    search(page, "jane")

    jane = page.get_by_test_id("group-users").get_by_test_id("hit")
    expect(jane.get_by_test_id("hit-customer")).to_have_text("Acme Corporation")
    expect(jane.get_by_test_id("hit-matched").locator("mark")).to_have_text("Jane")


def test_a_shared_link_opens_the_page_it_names(page: Page) -> None:
    sign_in(page, AGENT)

    page.goto("/#/users/u-jane")
    page.reload()

    expect(page.get_by_test_id("user-panel-name")).to_have_text("Jane Doe")
    expect(page.get_by_test_id("user-devices")).to_contain_text("FOC2345X1YZ")
    expect(page.get_by_test_id("user-email")).to_contain_text("delivered")
    expect(page.get_by_test_id("suppression-remove")).to_have_count(0)


# A user's suppressed address

def test_an_agent_removes_a_suppressed_address_only_after_confirming(page: Page) -> None:
    sign_in(page, AGENT)
    page.goto("/#/users/u-rene")
    expect(page.get_by_test_id("email-suppressed")).to_contain_text("550 5.1.1")

    page.get_by_test_id("suppression-remove").click()
    page.get_by_test_id("suppression-cancel").click()
    expect(page.get_by_test_id("email-suppressed")).to_contain_text("suppressed")
    page.get_by_test_id("suppression-remove").click()
    expect(page.get_by_test_id("suppression-confirm")).to_contain_text("rene.lefevre@bistro.example")
    page.get_by_test_id("suppression-confirm-remove").click()

    expect(page.get_by_test_id("email-suppressed")).to_have_text("no")
    expect(page.get_by_test_id("suppression-remove")).to_have_count(0)


# A customer, and its org as a read-only admin

def test_an_agent_searches_within_one_customer_from_its_page(page: Page) -> None:
    sign_in(page, AGENT)
    page.goto("/#/customers/o-acme")
    expect(page.get_by_test_id("customer-admin")).to_contain_text("it@acme.example")

    page.get_by_test_id("search-in-customer-input").fill("jane")
    page.get_by_test_id("search-in-customer-input").press("Enter")

    expect(page.get_by_test_id("search-scope")).to_contain_text("Only in Acme Corporation")
    expect(page.get_by_test_id("results")).to_have_attribute("data-q", "jane")
    expect(page.get_by_test_id("hit-customer")).not_to_have_count(0)
    for customer in page.get_by_test_id("hit-customer").all():
        expect(customer).to_have_text("Acme Corporation")
    assert "org=o-acme" in page.url


def test_a_granted_customer_opens_read_only_under_a_banner_counting_down(page: Page) -> None:
    sign_in(page, AGENT)
    page.goto("/#/customers/o-acme")

    page.get_by_test_id("read-only-open-reason").fill("Ticket 4711: caller cannot join meetings")
    page.get_by_test_id("read-only-open-submit").click()

    banner = page.get_by_test_id("read-only-banner")
    expect(banner).to_contain_text("Read-only view of Acme Corporation")
    expect(page.get_by_test_id("read-only-countdown")).to_have_text(re.compile(r"ends in 1[45]:\d\d"))
    expect(page.get_by_test_id("read-only-users")).to_contain_text("jane.doe@acme.example")
    page.get_by_test_id("read-only-tab-settings").click()
    expect(page.get_by_test_id("read-only-settings")).to_contain_text("acme.webex.com")
    page.evaluate("""() => {
        const key = "helpdesk.read-only.o-acme";
        sessionStorage.setItem(key, JSON.stringify({...JSON.parse(sessionStorage.getItem(key)), token: "ros_ended"}));
    }""")
    page.reload()
    expect(page.get_by_test_id("read-only-ended")).to_contain_text("The read-only session has ended")
    expect(page.get_by_test_id("read-only-banner")).to_have_count(0)


def test_a_customer_that_has_not_granted_access_cannot_be_opened_and_says_why(page: Page) -> None:
    sign_in(page, AGENT)

    page.goto("/#/customers/o-bistro")

    expect(page.get_by_test_id("read-only-standing")).to_have_text(
        "The customer has not granted your partner read-only access.")
    expect(page.get_by_test_id("read-only-open-submit")).to_be_disabled()
    expect(page.get_by_test_id("full-admin")).to_have_count(0)


def test_an_advanced_agent_asks_for_full_admin_access_and_sees_it_pending(page: Page) -> None:
    sign_in(page, ADVANCED_AGENT)
    page.goto("/#/customers/o-bistro")

    page.get_by_test_id("full-admin-request-reason").fill("Ticket 4712: licence change")
    page.get_by_test_id("full-admin-request-submit").click()

    expect(page.get_by_test_id("full-admin-state")).to_contain_text("waiting for the customer")
    expect(page.get_by_test_id("full-admin-state")).to_contain_text("Ticket 4712: licence change")


# A customer admin's page: the partner's read-only access, requests for full admin access, the audit log

def test_a_customer_admin_revokes_only_after_confirming_then_grants_read_only_access_until_a_time(page: Page) -> None:
    sign_in(page, CUSTOMER_ADMIN)
    standing = page.get_by_test_id("grant-standing")
    expect(standing).to_have_text("Granted until you revoke it")

    page.get_by_test_id("grant-revoke").click()
    page.get_by_test_id("grant-revoke-cancel").click()
    expect(page.get_by_test_id("grant-revoke-confirm")).to_have_count(0)
    expect(standing).to_have_text("Granted until you revoke it")
    page.get_by_test_id("grant-revoke").click()
    expect(page.get_by_test_id("grant-revoke-confirm")).to_contain_text("open read-only sessions end")
    page.get_by_test_id("grant-revoke-confirm-revoke").click()
    expect(standing).to_have_text("Not granted")
    expect(page.get_by_test_id("grant-revoke")).to_have_count(0)
    page.get_by_test_id("grant-ends").fill("2099-12-31T18:00")
    page.get_by_test_id("grant-give").click()

    expect(standing).to_contain_text("Granted until")
    expect(standing.locator("time")).to_contain_text("2099")
    page.get_by_test_id("grant-ends").fill("")
    page.get_by_test_id("grant-give").click()  # as it was for the tests that follow: granted until revoked
    expect(standing).to_have_text("Granted until you revoke it")


def test_a_customer_admin_approves_an_agents_request_for_full_admin_access(page: Page, product_url: str) -> None:
    asked = httpx.post(f"{product_url}/api/v1/customers/o-acme/access-requests",
                       headers=_bearer(product_url, ADVANCED_AGENT), json={"reason": "Ticket 4713: licence change"})
    assert asked.status_code == 202
    sign_in(page, CUSTOMER_ADMIN)
    request = page.get_by_test_id("access-request").filter(has_text="Ticket 4713")
    expect(request.get_by_test_id("access-request-status")).to_have_text("waiting for your answer")
    expect(request).to_contain_text("Ava Advanced")

    request.get_by_test_id("access-request-approve").click()

    expect(request.get_by_test_id("access-request-status")).to_have_text("approved")
    request.get_by_test_id("access-request-end").click()
    expect(request.get_by_test_id("access-request-status")).to_have_text("ended")


def test_an_advanced_agent_changes_a_user_under_an_approved_admin_session_until_the_window_ends(
        page: Page, product_url: str) -> None:
    request_id = _approved_full_admin_access(product_url, "Ticket 4714: switch Jane off")
    sign_in(page, ADVANCED_AGENT)
    page.goto("/#/customers/o-acme")
    expect(page.get_by_test_id("full-admin-state")).to_contain_text("approved")
    page.get_by_test_id("admin-session-start").click()
    expect(page.get_by_test_id("admin-session-open").locator("time")).to_be_visible()

    page.goto("/#/users/u-jane")
    changes = page.get_by_test_id("admin-changes")
    expect(changes.get_by_test_id("admin-changes-until").locator("time")).to_be_visible()
    changes.get_by_test_id("admin-change-status").select_option("inactive")
    changes.get_by_test_id("admin-change-submit").click()

    expect(page.get_by_test_id("user-status")).to_have_text("inactive")
    changes.get_by_test_id("admin-change-status").select_option("active")  # as it was for the tests that follow
    changes.get_by_test_id("admin-change-submit").click()
    expect(page.get_by_test_id("user-status")).to_have_text("active")
    _end_full_admin_access(product_url, request_id)
    changes.get_by_test_id("admin-change-status").select_option("pending")
    changes.get_by_test_id("admin-change-submit").click()
    expect(changes.get_by_test_id("admin-change-error")).to_contain_text("full admin window has ended")
    expect(page.get_by_test_id("user-status")).to_have_text("active")


def _approved_full_admin_access(product_url: str, reason: str) -> str:
    """The advanced agent asks for full admin access to Acme through the API, and its admin approves: the request."""
    asked = httpx.post(f"{product_url}/api/v1/customers/o-acme/access-requests",
                       headers=_bearer(product_url, ADVANCED_AGENT), json={"reason": reason})
    assert asked.status_code == 202
    request_id: str = asked.json()["request_id"]
    approved = httpx.post(f"{product_url}/api/v1/customer/access-requests/{request_id}/approve",
                          headers=_bearer(product_url, CUSTOMER_ADMIN))
    assert approved.status_code == 200
    return request_id


def _end_full_admin_access(product_url: str, request_id: str) -> None:
    ended = httpx.delete(f"{product_url}/api/v1/customer/access-requests/{request_id}",
                         headers=_bearer(product_url, CUSTOMER_ADMIN))
    assert ended.status_code == 204


def test_a_customer_admin_reads_and_filters_what_agents_did_in_the_org(page: Page, product_url: str) -> None:
    viewed = httpx.get(f"{product_url}/api/v1/customers/o-acme", headers=_bearer(product_url, AGENT))
    assert viewed.status_code == 200
    _wait_for_audit(product_url, CUSTOMER_ADMIN, "/api/v1/customer/audit",
                    {"agent": AGENT, "action": "customer.viewed"})
    sign_in(page, CUSTOMER_ADMIN)
    expect(page.get_by_test_id("audit-entry").first).to_be_visible()

    page.get_by_test_id("audit-filter-agent").fill(AGENT)
    page.get_by_test_id("audit-filter-action").fill("customer.viewed")
    page.get_by_test_id("audit-filter-submit").click()

    expect(page.get_by_test_id("audit-results")).to_have_attribute(
        "data-filters", urlencode({"agent": AGENT, "action": "customer.viewed"}))
    entries = page.get_by_test_id("audit-entry")
    expect(entries.first).to_be_visible()
    for entry in entries.all():
        expect(entry).to_have_attribute("data-action", "customer.viewed")
        expect(entry.get_by_test_id("audit-entry-agent")).to_have_text(AGENT)
    page.get_by_test_id("audit-filter-agent").fill(OTHER_PARTNERS_AGENT)
    page.get_by_test_id("audit-filter-submit").click()
    expect(page.get_by_test_id("audit-empty")).to_be_visible()
    expect(entries).to_have_count(0)
    page.get_by_test_id("audit-filter-clear").click()
    expect(entries.first).to_be_visible()

    page.get_by_test_id("audit-filter-since").fill("2099-06-01T12:00")
    page.get_by_test_id("audit-filter-submit").click()
    expect(page.get_by_test_id("audit-results")).to_have_attribute(
        "data-filters", re.compile(r"^since=2099-06-01T\d\d%3A\d\d%3A00\.000Z$"))
    expect(page.get_by_test_id("audit-empty")).to_be_visible()
    expect(entries).to_have_count(0)


def _wait_for_audit(product_url: str, admin: str, path: str, filters: dict[str, str]) -> None:
    """The audit log is written from the bus: wait until the entry the test made can be read."""
    headers = _bearer(product_url, admin)
    deadline = time.monotonic() + 10
    while not httpx.get(f"{product_url}{path}", params=filters, headers=headers).json()["entries"]:
        assert time.monotonic() < deadline, f"no audit entry for {filters}"
        time.sleep(0.1)


# A partner admin's page: the Help Desk agents and the partner's audit log

def test_a_partner_admin_changes_an_agent_to_advanced_and_back(page: Page) -> None:
    sign_in(page, PARTNER_ADMIN)
    expect(page.get_by_test_id("partner-admin-page")).to_be_visible()
    agents = page.get_by_test_id("helpdesk-agent")
    expect(agents).to_have_count(2)
    alex = agents.filter(has_text="agent@northwind.example")
    expect(alex.get_by_test_id("helpdesk-agent-level")).to_have_text("Basic")

    alex.get_by_test_id("helpdesk-agent-switch").click()
    expect(alex.get_by_test_id("helpdesk-agent-level")).to_have_text("Advanced")
    alex.get_by_test_id("helpdesk-agent-switch").click()

    expect(alex.get_by_test_id("helpdesk-agent-level")).to_have_text("Basic")


def test_a_partner_admin_revokes_an_agent_only_after_confirming_and_assigns_the_role_by_user_id(page: Page) -> None:
    sign_in(page, PARTNER_ADMIN)
    alex = page.get_by_test_id("helpdesk-agent").filter(has_text="agent@northwind.example")
    alex.get_by_test_id("helpdesk-agent-revoke").click()
    page.get_by_test_id("revoke-cancel").click()
    expect(alex).to_have_count(1)

    alex.get_by_test_id("helpdesk-agent-revoke").click()
    expect(page.get_by_test_id("revoke-confirm")).to_contain_text("Alex Agent")
    page.get_by_test_id("revoke-confirm-revoke").click()
    expect(alex).to_have_count(0)
    page.get_by_test_id("agent-assign-user").fill("u-agent")  # back as it was for the tests that follow
    page.get_by_test_id("agent-assign-submit").click()

    expect(alex.get_by_test_id("helpdesk-agent-level")).to_have_text("Basic")
    page.get_by_test_id("agent-assign-user").fill("u-jane")
    page.get_by_test_id("agent-assign-submit").click()
    expect(page.get_by_test_id("agents-error")).not_to_be_empty()


def test_a_partner_admin_reads_the_partners_audit_log_in_one_customer(page: Page, product_url: str) -> None:
    httpx.get(f"{product_url}/api/v1/customers/o-bistro", headers=_bearer(product_url, AGENT))
    _wait_for_audit(product_url, PARTNER_ADMIN, "/api/v1/partner/audit", {"org_id": "o-bistro"})
    sign_in(page, PARTNER_ADMIN)

    page.get_by_test_id("audit-filter-org_id").fill("o-bistro")
    page.get_by_test_id("audit-filter-submit").click()

    expect(page.get_by_test_id("audit-results")).to_have_attribute("data-filters", "org_id=o-bistro")
    entries = page.get_by_test_id("audit-entry")
    expect(entries.first).to_be_visible()
    for entry in entries.all():
        expect(entry).to_contain_text("o-bistro")


# The operator's page: importing a file

def test_an_operator_imports_a_file_and_sees_what_was_accepted_and_the_rejected_lines(page: Page) -> None:
    sign_in(page, OPERATOR)
    expect(page.get_by_test_id("operator-page")).to_be_visible()
    good = {"type": "partner", "id": f"p-ui-import-{time.time_ns()}", "name": "Imported from the console"}
    bad = {"type": "spaceship", "id": "s-1"}
    ndjson = f"{json.dumps(good)}\n{json.dumps(bad)}\n".encode()

    page.get_by_test_id("import-file").set_input_files(
        {"name": "records.ndjson", "mimeType": "application/x-ndjson", "buffer": ndjson})
    page.get_by_test_id("import-submit").click()

    expect(page.get_by_test_id("import-accepted")).to_have_text("1 record accepted")
    expect(page.get_by_test_id("import-rejected-count")).to_have_text("1 line rejected")
    rejected = page.get_by_test_id("import-rejected-line")
    expect(rejected).to_have_count(1)
    expect(rejected).to_have_attribute("data-line", "2")
    expect(rejected).to_contain_text("'type' is one of partner, org, user, device, order")


# Languages

def test_the_agent_switches_the_console_to_italian_and_it_stays_so(page: Page) -> None:
    sign_in(page, AGENT)

    page.get_by_test_id("language").select_option("it")
    search(page, "jane")

    expect(page.get_by_test_id("sign-out")).to_have_text("Esci")
    expect(page.get_by_test_id("group-users").get_by_role("heading")).to_have_text("Utenti1")
    expect(page.get_by_test_id("interpretations")).to_have_text("Letto come: testo")
    assert page.evaluate("document.documentElement.lang") == "it"
    page.reload()
    expect(page.get_by_test_id("sign-out")).to_have_text("Esci")


def test_an_italian_browser_gets_the_console_in_italian(browser: Browser, product_url: str) -> None:
    context = browser.new_context(base_url=product_url, locale="it-IT")
    try:
        page = context.new_page()
        page.goto("/")

        expect(page.get_by_test_id("login-submit")).to_have_text("Accedi")
    finally:
        context.close()


# Every page: screenshots, accessibility, the Content-Security-Policy and no request leaving the product

PAGES = {
    "signin": "",
    "search": "#/search?q=acme",
    "user": "#/users/u-jane",
    "suppressed-user": "#/users/u-rene",
    "customer": "#/customers/o-acme",
    "customer-not-granted": "#/customers/o-bistro",
    "device": "#/devices/d-desk1",
    "order": "#/orders/WO-100200",
    "read-only": "#/customers/o-acme/read-only",
}
# Signed in as the person each page is for; the operator's shows what an import of one bad line refused.
ROLE_PAGES = {"customer-admin": (CUSTOMER_ADMIN, "#/customer-admin"),
              "partner-admin": (PARTNER_ADMIN, "#/partner-admin"), "operator": (OPERATOR, "#/operator")}
READY = {"signin": "signin-view", "search": "hit", "user": "admin-changes", "suppressed-user": "user-panel",
         "customer": "customer-page", "customer-not-granted": "customer-page", "device": "device-page",
         "order": "order-page", "read-only": "read-only-users", "customer-admin": "audit-entry",
         "partner-admin": "audit-entry", "operator": "import-rejected-line", "events": "topic"}


@pytest.mark.parametrize("language", ["en", "it"])
@pytest.mark.parametrize("width", [1280, 400])
def test_every_page_is_accessible_and_stays_inside_the_product(
        watched: tuple[Page, list[str]], product_url: str, language: str, width: int) -> None:
    page, refused = watched
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    page.get_by_test_id("language").select_option(language)
    _screenshot_and_audit(page, "signin", language, width)
    sign_in(page, ADVANCED_AGENT)
    page.goto("/#/customers/o-acme")
    page.get_by_test_id("read-only-open-reason").fill("Ticket 4711")
    page.get_by_test_id("read-only-open-submit").click()
    expect(page.get_by_test_id("read-only-banner")).to_be_visible()
    request_id = _approved_full_admin_access(product_url, "Ticket 4715")  # the user's page then shows its changes
    page.goto("/#/customers/o-acme")
    page.get_by_test_id("admin-session-start").click()
    expect(page.get_by_test_id("admin-session-open")).to_be_visible()

    for name, address in PAGES.items():
        if name == "signin":
            continue
        page.goto(f"/{address}")
        _screenshot_and_audit(page, name, language, width)
    _end_full_admin_access(product_url, request_id)
    for name, (email, address) in ROLE_PAGES.items():
        page.get_by_test_id("sign-out").click()
        sign_in(page, email)
        page.goto(f"/{address}")
        if name == "operator":
            page.get_by_test_id("import-file").set_input_files(
                {"name": "records.ndjson", "mimeType": "application/x-ndjson", "buffer": b'{"type": "spaceship"}\n'})
            page.get_by_test_id("import-submit").click()
        _screenshot_and_audit(page, name, language, width)

    assert refused == []


def _screenshot_and_audit(page: Page, name: str, language: str, width: int) -> None:
    expect(page.get_by_test_id(READY[name]).first).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{language}-{width}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name} ({language}, {width} px) is {overflow} px wider than the window"
    # Evaluated through the browser's debugging protocol: an injected <script> tag would be inline script, which the
    # console's Content-Security-Policy refuses (and the watch would report).
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    serious = [{"rule": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
               for v in found if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{name} ({language}, {width} px): {json.dumps(serious, indent=1)}"
