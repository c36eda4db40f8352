"""The web client in Debian's headless Chromium against the real app on its embedded defaults."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from tests.e2e.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DUMMY_TOKEN,
    SentryReceiver,
    TurnstileScript,
    create_reviewer,
    outbox_code,
    submitted_worker,
    turnstile_tokens,
    verified_account,
)
from tests.support.files import png
from tests.support.serve import app_server
from tests.support.services import unavailable
from tests.support.totp import enrol as totp_enrol
from tests.support.totp import login as totp_login

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"
SITE_KEY = "0x4AAAAAAABrowserTestKey"
ENVIRONMENT = "test"
RELEASE = "domestyx@9.9.9-browser"
PASSWORD = "correct horse battery staple"
REVIEWER = ("reviewer@example.com", "+447700900999")
WIDGET_SCOPE = ".turnstile-stand-in"


@dataclass
class Stack:
    """The running app and the third parties it is configured to use."""

    base: str
    turnstile: TurnstileScript
    sentry: SentryReceiver


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not CHROMIUM.exists():
        unavailable("chromium", f"{CHROMIUM} is missing; run .ci/browser.sh (Debian's package)")
    var_dir = tmp_path_factory.mktemp("browser-var")
    with TurnstileScript().running() as turnstile, SentryReceiver().running() as sentry:
        env = {
            "DOMESTYX_ENV": ENVIRONMENT,
            "RELEASE": RELEASE,
            "TURNSTILE_SITE_KEY": SITE_KEY,
            "TURNSTILE_SCRIPT_URL": turnstile.url,
            "SENTRY_DSN_FRONTEND": sentry.dsn,
        }
        with app_server(var_dir, env) as base:
            printed = create_reviewer(var_dir, *REVIEWER, PASSWORD)
            assert "authenticator" in printed and "/api/v1/me/mfa/totp" in printed
            yield Stack(base, turnstile, sentry)


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def csp_violations(page: Page) -> list[str]:
    """Console reports of anything the page CSP blocked."""
    seen: list[str] = []
    page.on(
        "console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None
    )
    return seen


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def ready_widget(page: Page, action: str) -> Locator:
    """The stand-in marker for `action`, once its token has reached the form."""
    widget = page.locator(f'[data-turnstile-action="{action}"]')
    expect(widget.locator(WIDGET_SCOPE)).to_have_attribute("data-sitekey", SITE_KEY)
    expect(widget).to_contain_text("Check complete.")
    return widget


def sign_in(page: Page, who: str, totp: str = "") -> None:
    heading(page, "Sign in")
    page.get_by_label("Email address or phone number").fill(who)
    page.get_by_label("Password").fill(PASSWORD)
    if totp:
        page.get_by_label("Authenticator code").fill(totp)
    ready_widget(page, "login")
    page.get_by_role("button", name="Sign in").click()


# The reviewer's recovery codes, read off the enrolment page (or enrolled over HTTP when the
# enrolment test did not run first); each later staff sign-in spends one.
RECOVERY: list[str] = []


def enrol_reviewer_authenticator(page: Page) -> None:
    """A password-only staff session lands on enrolment; enrol, then sign in with a code."""
    heading(page, "Authenticator")
    expect(page.get_by_text("Reviewing identity documents needs a second factor")).to_be_visible()
    page.get_by_role("button", name="Set up an authenticator").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert page.locator("svg.qr-code rect").count() > 100  # drawn here, not fetched
    secret = page.locator("[data-totp-secret]").inner_text()
    expect(page.locator("[data-recovery-code]")).to_have_count(10)
    RECOVERY.extend(page.locator("[data-recovery-code]").all_inner_texts())
    shot(page, "05a-authenticator-enrolment")
    page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    heading(page, "Sign in")
    expect(page.get_by_text("Your authenticator is on.")).to_be_visible()
    # The confirmation spent this step's code; the next step's is inside the +-1 window.
    sign_in(page, REVIEWER[0], totp=pyotp.TOTP(secret).at(time.time() + 30))


def reviewer_recovery_code(stack: Stack) -> str:
    """A fresh single-use code for the reviewer's next sign-in."""
    if not RECOVERY:
        with httpx.Client(base_url=stack.base) as client:
            first = totp_login(client, REVIEWER[0])
            assert first.status_code == 200, first.text
            RECOVERY.extend(totp_enrol(client, first.json()["access_token"])["recovery_codes"])
    return RECOVERY.pop(0)


def upload(page: Page, kind: str, name: str) -> None:
    page.get_by_label("Document type").select_option(kind)
    page.get_by_label("File").set_input_files(
        files=[{"name": name, "mimeType": "image/png", "buffer": png(8, 8)}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("form .form-status")).to_contain_text("Uploaded")


def test_worker_registers_verifies_uploads_submits_and_is_approved(
    stack: Stack, page: Page, csp_violations: list[str]
) -> None:
    email, phone = "ann.worker@example.com", "+447700900123"
    sent: list[tuple[str, str | None]] = []
    page.on("request", lambda r: sent.append((r.url, r.post_data)) if r.method == "POST" else None)

    page.goto(f"{stack.base}/#/register")
    heading(page, "Create your account")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Mobile phone number").fill(phone)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("A domestic worker").check()
    ready_widget(page, "register")
    shot(page, "01-register")
    page.get_by_role("button", name="Create account").click()

    heading(page, "Confirm your email address")
    page.get_by_label("6-digit code").fill(outbox_code(stack.base, email))
    shot(page, "02-verify-email")
    page.get_by_role("button", name="Confirm").click()

    heading(page, "Confirm your phone number")
    ready_widget(page, "otp_send")
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_role("button", name=re.compile(r"Text me a code \(available in \d+ s\)")))
    page.get_by_label("6-digit code").fill(outbox_code(stack.base, phone))
    shot(page, "03-verify-phone")
    page.get_by_role("button", name="Confirm").click()

    sign_in(page, email)
    heading(page, "My documents")
    page.get_by_label("File").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a scan"}]
    )
    expect(page.get_by_role("alert").first).to_contain_text("Only PDF, JPEG or PNG")
    upload(page, "id_card", "id-card.png")
    upload(page, "police_clearance", "police.png")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download National ID card, version 1").click()
    # What was stored (and comes back) is the re-encoding: the same pixels, none of the rest.
    with Image.open(Path(download.value.path())) as got, Image.open(io.BytesIO(png(8, 8))) as up:
        assert got.format == "PNG" and got.convert("RGB").tobytes() == up.convert("RGB").tobytes()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted. A reviewer will look")).to_be_visible()
    expect(page.locator("[data-identity-status]")).to_have_attribute(
        "data-identity-status", "submitted"
    )
    shot(page, "04-documents-submitted")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, REVIEWER[0])
    enrol_reviewer_authenticator(page)
    heading(page, "Review queue")
    submission = page.locator("article[data-verification-id]")
    expect(submission).to_have_count(1)
    expect(submission).to_contain_text("National ID card")
    expect(submission).to_contain_text("Police clearance certificate")
    shot(page, "05-review-queue")
    submission.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").filter(has_text="verified")).to_be_visible()
    expect(submission).to_have_count(0)

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, email)
    heading(page, "My documents")
    identity = page.locator("[data-identity-status]")
    expect(identity).to_have_attribute("data-identity-status", "approved")
    expect(identity).to_contain_text("verified")
    shot(page, "06-worker-verified")

    tokens = turnstile_tokens(sent)
    assert tokens["register"] == [DUMMY_TOKEN]
    assert tokens["otp/send"] == [DUMMY_TOKEN]
    assert tokens["login"] == [DUMMY_TOKEN] * 4
    assert csp_violations == []


def test_turnstile_renders_with_the_site_key_on_each_protected_form(
    stack: Stack, page: Page, csp_violations: list[str]
) -> None:
    for route, action in (
        ("register", "register"),
        ("login", "login"),
        ("verify-phone", "otp_send"),
        ("verify-email", "otp_send"),
        ("forgot-password", "password_forgot"),
    ):
        page.goto(f"{stack.base}/#/{route}")
        marker = ready_widget(page, action).locator(WIDGET_SCOPE)
        assert marker.get_attribute("data-action") == action
        assert SITE_KEY in marker.inner_text()
    assert stack.turnstile.fetches >= 1
    assert csp_violations == []


def test_problems_are_shown_as_sentences_with_when_to_retry(stack: Stack, page: Page) -> None:
    page.goto(f"{stack.base}/#/verify-email")
    page.get_by_label("Email address", exact=True).fill("nobody@example.com")
    ready_widget(page, "otp_send")
    page.get_by_role("button", name="Email me a new code").click()
    expect(page.get_by_role("status").filter(has_text="a new code is on its way")).to_be_visible()
    page.reload()  # forgets the client's cooldown; the server keeps its own
    page.get_by_label("Email address", exact=True).fill("nobody@example.com")
    ready_widget(page, "otp_send")
    page.get_by_role("button", name="Email me a new code").click()
    alert = page.get_by_role("alert").filter(has_text="try again in")
    expect(alert).to_contain_text(re.compile(r"try again in \d+ seconds \(at \d+:\d+:\d+"))
    expect(alert).to_contain_text(re.compile(r"Reference: [0-9a-f]{32}"))
    expect(page.get_by_role("button", name=re.compile(r"available in \d+ s"))).to_be_disabled()
    shot(page, "07-retry-after")


def test_thrown_client_error_reaches_sentry_with_environment_release_and_request_id(
    stack: Stack, page: Page
) -> None:
    page.goto(f"{stack.base}/#/login")
    heading(page, "Sign in")
    page.evaluate("() => setTimeout(() => { throw new Error('browser test: thrown in client') })")
    event = stack.sentry.wait_for_message("browser test: thrown in client")
    assert event is not None, "no error event reached the Sentry receiver"
    assert (event["environment"], event["release"]) == (ENVIRONMENT, RELEASE)
    assert re.fullmatch(r"[0-9a-f]{32}", event["tags"]["request_id"])


def test_sign_in_works_from_the_keyboard_with_visible_focus(stack: Stack, page: Page) -> None:
    page.goto(f"{stack.base}/#/login")
    heading(page, "Sign in")
    ready_widget(page, "login")
    focus = (
        "() => [document.activeElement.name, getComputedStyle(document.activeElement).outlineStyle]"
    )
    page.keyboard.press("Tab")  # from the page heading, which has focus after navigation
    assert page.evaluate(focus) == ["email", "solid"]
    page.keyboard.type("ann.worker@example.com")
    page.keyboard.press("Tab")
    assert page.evaluate(focus) == ["password", "solid"]
    page.keyboard.type("not the password")
    page.keyboard.press("Tab")
    assert page.evaluate(focus) == ["totp_code", "solid"]  # optional: left empty
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Sign in"
    page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(re.compile(r"[A-Z][^.]+\."))
    expect(alert).to_contain_text(re.compile(r"Reference: [0-9a-f]{32}"))
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    shot(page, "08-keyboard-error")


def test_reload_keeps_the_session_by_rotating_the_refresh_token_and_sign_out_clears_it(
    stack: Stack, page: Page
) -> None:
    verified_account(stack.base, "bo.session@example.com", "+447700900456", PASSWORD)
    stored = "() => sessionStorage.getItem('domestyx.refresh')"
    page.goto(f"{stack.base}/#/login")
    sign_in(page, "bo.session@example.com")
    heading(page, "My documents")
    first = page.evaluate(stored)
    assert first

    with page.expect_response("**/api/v1/auth/refresh") as refreshed:
        page.reload()
    assert refreshed.value.status == 200
    assert refreshed.value.request.post_data_json == {"refresh_token": first}
    heading(page, "My documents")
    rotated = page.evaluate(stored)
    assert rotated and rotated != first

    with page.expect_response("**/api/v1/auth/logout") as logout:
        page.get_by_role("button", name="Sign out").click()
    assert logout.value.status == 204
    assert logout.value.request.post_data_json["refresh_token"] == rotated
    heading(page, "Sign in")
    assert page.evaluate(stored) is None
    page.goto(f"{stack.base}/#/documents")
    heading(page, "Sign in")
    expect(page.get_by_role("status").first).to_have_text("Please sign in to continue.")


def test_reviewer_rejects_with_a_reason_and_the_worker_sees_it_and_deletes_a_document(
    stack: Stack, page: Page
) -> None:
    email = "cy.rejected@example.com"
    submission_id = submitted_worker(stack.base, email, "+447700900789", PASSWORD)
    page.goto(f"{stack.base}/#/login")
    sign_in(page, REVIEWER[0], totp=reviewer_recovery_code(stack))
    heading(page, "Review queue")
    card = page.locator(f'article[data-verification-id="{submission_id}"]')
    expect(card).to_contain_text("Passport")
    card.get_by_role("button", name="Reject").click()
    expect(card.get_by_role("alert")).to_have_text(re.compile("Choose a reason to reject"))
    expect(card.get_by_label("Reason")).to_be_focused()
    card.get_by_label("Reason").select_option("document_expired")
    card.get_by_label("Note for the record (optional)").fill("Passport expired in 2020.")
    card.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("status").filter(has_text="rejected")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, email)
    identity = page.locator("[data-identity-status]")
    expect(identity).to_have_attribute("data-identity-status", "rejected")
    expect(page.get_by_text("Reviewer's reason: A document has expired.")).to_be_visible()
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Passport, version 1").click()
    expect(page.get_by_role("status").filter(has_text="was deleted")).to_be_visible()
    expect(page.locator("tr[data-document-id]")).to_have_count(1)
    shot(page, "09-rejected-and-deleted")


def _newest_outbox_time(base: str) -> str:
    """created_at of the newest dev-outbox entry, so later reads skip what came before."""
    import httpx

    entries = httpx.get(f"{base}/dev/outbox", headers={"Accept": "application/json"}).json()
    return str(entries[0]["created_at"]) if entries else ""


def test_forgot_password_then_change_email_and_phone(
    stack: Stack, page: Page, csp_violations: list[str]
) -> None:
    email, phone = "di.recovers@example.com", "+447700900321"
    new_password, new_email, new_phone = (
        "a fresh pass phrase",
        "di.new@example.com",
        "+447700900322",
    )
    verified_account(stack.base, email, phone, PASSWORD)

    page.goto(f"{stack.base}/#/login")
    page.get_by_role("link", name="Forgot your password?").click()
    heading(page, "Reset your password")
    page.get_by_label("Email address or phone number").fill(email)
    ready_widget(page, "password_forgot")
    before = _newest_outbox_time(stack.base)
    page.get_by_role("button", name="Send me a reset code").click()
    expect(page.get_by_role("status").filter(has_text="reset code is on its way")).to_be_visible()
    page.get_by_label("6-digit code").fill(outbox_code(stack.base, email, after=before))
    page.get_by_label("New password").fill(new_password)
    shot(page, "10-forgot-password")
    page.get_by_role("button", name="Reset password").click()
    heading(page, "Sign in")
    expect(page.get_by_role("status").first).to_contain_text("Your password was reset")
    page.get_by_label("Email address or phone number").fill(email)
    page.get_by_label("Password").fill(new_password)
    ready_widget(page, "login")
    page.get_by_role("button", name="Sign in").click()
    heading(page, "My documents")

    for route, label, value in (
        ("change-email", "New email address", new_email),
        ("change-phone", "New mobile phone number", new_phone),
    ):
        page.goto(f"{stack.base}/#/{route}")
        page.get_by_label(label).fill(value)
        page.get_by_label("Current password").fill(new_password)
        before = _newest_outbox_time(stack.base)
        page.get_by_role("button", name="Send a code to it").click()
        expect(
            page.get_by_role("status").filter(has_text="Nothing has changed yet")
        ).to_be_visible()
        page.get_by_label("6-digit code").fill(outbox_code(stack.base, value, after=before))
        page.get_by_role("button", name="Confirm the change").click()
        expect(page.get_by_role("status").filter(has_text="Changed.")).to_be_visible()
        expect(page.locator("[data-current-contact]")).to_have_text(value)
        shot(page, f"11-{route}")

    page.get_by_role("button", name="Sign out").click()
    heading(page, "Sign in")
    page.get_by_label("Email address or phone number").fill(new_phone)
    page.get_by_label("Password").fill(new_password)
    ready_widget(page, "login")
    page.get_by_role("button", name="Sign in").click()
    heading(page, "My documents")
    assert csp_violations == []
