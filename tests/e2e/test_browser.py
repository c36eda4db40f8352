"""The web client in Debian's headless Chromium against the real app on its embedded defaults.

Nothing is set for Turnstile: the client loads the app's own stand-in, and every request to an
origin other than the app (and the test's local Sentry receiver) is blocked and fails the test.
"""

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
from playwright.sync_api import Browser, Locator, Page, Route, expect, sync_playwright

from tests.e2e.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DUMMY_TOKEN,
    NO_ROUTE_OUT,
    STAND_IN_PATH,
    OriginFence,
    SentryReceiver,
    assert_screenshot,
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
SITE_KEY = "1x00000000000000000000AA"  # the embedded default: Cloudflare's always-pass test key
ENVIRONMENT = "test"
RELEASE = "domestyx@9.9.9-browser"
PASSWORD = "correct horse battery staple"
REVIEWER = ("reviewer@example.com", "+447700900999")
WIDGET_SCOPE = ".turnstile-stand-in"


@dataclass
class Stack:
    """The running app and the third parties it is configured to use."""

    base: str
    sentry: SentryReceiver


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not CHROMIUM.exists():
        unavailable("chromium", f"{CHROMIUM} is missing; run .ci/browser.sh (Debian's package)")
    var_dir = tmp_path_factory.mktemp("browser-var")
    with SentryReceiver().running() as sentry:
        # No TURNSTILE_* variable: the embedded default's test keys and its own stand-in.
        env = {"DOMESTYX_ENV": ENVIRONMENT, "RELEASE": RELEASE, "SENTRY_DSN_FRONTEND": sentry.dsn}
        with app_server(var_dir, env) as base:
            printed = create_reviewer(var_dir, *REVIEWER, PASSWORD)
            assert "authenticator" in printed and "/api/v1/me/mfa/totp" in printed
            yield Stack(base, sentry)


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        args = [*CHROMIUM_ARGS, *NO_ROUTE_OUT]
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield chromium
        chromium.close()


@pytest.fixture
def fence(stack: Stack) -> OriginFence:
    """Only the app and the local Sentry receiver may be asked for anything; no Cloudflare."""
    return OriginFence(stack.base, stack.sentry.dsn)


@pytest.fixture
def page(browser: Browser, fence: OriginFence) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    fence.install(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert fence.blocked == [], f"the page tried to leave the machine: {fence.blocked}"


@pytest.fixture
def csp_violations(page: Page) -> list[str]:
    """Console reports of anything the page CSP blocked."""
    seen: list[str] = []
    page.on(
        "console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None
    )
    return seen


def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    path.unlink(missing_ok=True)  # a stale file from an earlier run must not pass the checks
    page.screenshot(path=str(path), full_page=True)
    return path


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
    expect(page.get_by_role("link", name="dev outbox")).to_have_attribute("href", "/dev/outbox")
    code = outbox_code(stack.base, email)
    page.get_by_label("6-digit code").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_contain_text("request a new code")
    page.get_by_label("6-digit code").fill(code)
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
    # A PNG in name only passes the page's hint; the server refuses it, in the client's words.
    page.get_by_label("File").set_input_files(
        files=[{"name": "fake.png", "mimeType": "image/png", "buffer": b"just text, no image"}]
    )
    page.get_by_role("button", name="Upload").click()
    refused = page.locator("form").get_by_role("alert")
    expect(refused).to_contain_text("Only PDF, JPEG or PNG files can be uploaded.")
    expect(refused).not_to_contain_text("are accepted")  # the server's detail never shows
    upload(page, "id_card", "id-card.png")
    page.get_by_role("button", name="Submit for review").click()
    missing = page.get_by_role("alert").filter(has_text="before you submit")
    expect(missing).to_contain_text("Upload these before you submit: Police clearance certificate.")
    expect(page.get_by_text("missing documents")).to_have_count(0)
    upload(page, "police_clearance", "police.png")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download National ID card, version 1").click()
    # What was stored (and comes back) is the re-encoding: the same pixels, none of the rest.
    with Image.open(Path(download.value.path())) as got, Image.open(io.BytesIO(png(8, 8))) as up:
        assert got.format == "PNG" and got.convert("RGB").tobytes() == up.convert("RGB").tobytes()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("status").filter(has_text="Submitted for review.")).to_be_visible()
    identity = page.locator("[data-identity-status]")
    expect(identity).to_have_attribute("data-identity-status", "submitted")
    expect(identity).to_contain_text("A reviewer will look at your documents soon")
    expect(page.get_by_role("button", name="Submit for review")).to_have_count(0)
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
    # One truth: once approved nothing on the page still says it is waiting for a result.
    expect(identity).to_contain_text("Your identity is verified.")
    waiting = re.compile("result will appear|you will see the result")
    expect(page.get_by_text(waiting)).to_have_count(0)
    expect(page.get_by_role("button", name="Submit for review")).to_have_count(0)
    shot(page, "06-worker-verified")

    tokens = turnstile_tokens(sent)
    assert tokens["register"] == [DUMMY_TOKEN]
    assert tokens["otp/send"] == [DUMMY_TOKEN]
    assert tokens["login"] == [DUMMY_TOKEN] * 4
    assert csp_violations == []


def test_turnstile_renders_with_the_site_key_on_each_protected_form(
    stack: Stack, page: Page, fence: OriginFence, csp_violations: list[str]
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
    # The embedded default's own script, from the app's origin; nothing from Cloudflare.
    assert f"{stack.base}{STAND_IN_PATH}" in fence.seen
    config = httpx.get(f"{stack.base}/api/v1/config").json()
    assert config["turnstile_site_key"] == SITE_KEY
    assert config["turnstile_script_url"] == STAND_IN_PATH
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


def _with_config(page: Page, **changes: object) -> None:
    """Serve the real /api/v1/config with some values changed (same origin, no network)."""

    def swap(route: Route) -> None:
        config = route.fetch().json()
        route.fulfill(json={**config, **changes})

    page.route("**/api/v1/config", swap)


def _with_site_key(page: Page, site_key: str) -> None:
    """Another of Cloudflare's test site keys, as an operator would set TURNSTILE_SITE_KEY."""
    _with_config(page, turnstile_site_key=site_key)


def test_upload_limit_comes_from_the_server_config(stack: Stack, page: Page) -> None:
    verified_account(stack.base, "gil.limit@example.com", "+447700900655", PASSWORD)
    _with_config(page, max_upload_bytes=4096)
    page.goto(f"{stack.base}/#/login")
    sign_in(page, "gil.limit@example.com")
    heading(page, "My documents")
    expect(page.get_by_text("PDF, JPEG or PNG, up to 4 KiB.")).to_be_visible()
    page.get_by_label("File").set_input_files(
        files=[{"name": "big.png", "mimeType": "image/png", "buffer": b"x" * 5000}]
    )
    expect(page.get_by_role("alert").first).to_contain_text("the limit is 4 KiB")


def test_stand_in_fails_for_the_always_fail_key_and_sends_nothing(stack: Stack, page: Page) -> None:
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if "/api/v1/" in r.url else None)
    _with_site_key(page, "2x00000000000000000000AB")
    page.goto(f"{stack.base}/#/login")
    widget = page.locator('[data-turnstile-action="login"]')
    expect(widget.locator(WIDGET_SCOPE)).to_have_attribute("data-state", "failed")
    expect(widget).to_contain_text("The check failed")
    page.get_by_label("Email address or phone number").fill("nobody@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("wait for the anti-bot check")
    assert [p for p in posts if "/api/v1/config" not in p] == []


def test_stand_in_forces_a_challenge_for_the_interactive_key_and_its_token_passes(
    stack: Stack, page: Page
) -> None:
    _with_site_key(page, "3x00000000000000000000FF")
    page.goto(f"{stack.base}/#/login")
    widget = page.locator('[data-turnstile-action="login"]')
    expect(widget).to_contain_text("Complete the check above")
    expect(widget).not_to_contain_text("Check complete.")
    page.get_by_label("Email address or phone number").fill("nobody@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    widget.get_by_label("Verify you are human").check()
    expect(widget).to_contain_text("Check complete.")
    with page.expect_response("**/api/v1/auth/login") as answer:
        page.get_by_role("button", name="Sign in").click()
    # The server took the token (test secret, dummy token): the refusal is the password's.
    assert answer.value.status == 401
    assert answer.value.json()["type"].endswith("/invalid-credentials")
    assert answer.value.request.post_data_json["turnstile_token"] == DUMMY_TOKEN


def test_stand_in_passes_invisibly_for_the_invisible_key(stack: Stack, page: Page) -> None:
    _with_site_key(page, "1x00000000000000000000BB")
    page.goto(f"{stack.base}/#/register")
    widget = page.locator('[data-turnstile-action="register"]')
    expect(widget).to_contain_text("Check complete.")
    expect(widget.locator(WIDGET_SCOPE)).to_be_hidden()


def _register(base: str, email: str, phone: str) -> None:
    body = {"email": email, "phone": phone, "password": PASSWORD, "role": "worker"}
    response = httpx.post(
        f"{base}/api/v1/auth/register", json={**body, "turnstile_token": DUMMY_TOKEN}
    )
    assert response.status_code == 202, response.text


def test_dev_outbox_page_refreshes_itself_newest_first_with_a_large_copyable_code(
    stack: Stack, page: Page, csp_violations: list[str]
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.base)
    page.goto(f"{stack.base}/dev/outbox")
    heading(page, "Dev outbox")
    page.evaluate("() => { window.sameDocument = true; }")
    _register(stack.base, "eve.first@example.com", "+447700900611")
    first = page.locator("li.message").first
    expect(first.locator(".to")).to_have_text("eve.first@example.com", timeout=10_000)
    _register(stack.base, "eve.second@example.com", "+447700900612")
    expect(first.locator(".to")).to_have_text("eve.second@example.com", timeout=10_000)
    expect(page.locator("li.message").nth(1).locator(".to")).to_have_text("eve.first@example.com")
    assert page.evaluate("() => window.sameDocument") is True  # refreshed in place, not reloaded

    code = outbox_code(stack.base, "eve.second@example.com")
    expect(first.locator("code.code")).to_have_text(code)
    size = first.locator("code.code").evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    body = first.locator("pre.body").evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 2.5 * body  # the code is what the reader came for
    first.get_by_role("button", name="Copy code").click()
    expect(first.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == code
    assert_screenshot(shot(page, "12-dev-outbox"))
    assert csp_violations == []


def test_support_page_finds_an_account_and_acts_with_a_reason(
    stack: Stack, page: Page, csp_violations: list[str]
) -> None:
    email, phone = "fay.support@example.com", "+447700900654"
    verified_account(stack.base, email, phone, PASSWORD)
    login = {"email": email, "password": PASSWORD, "turnstile_token": DUMMY_TOKEN}
    assert httpx.post(f"{stack.base}/api/v1/auth/login", json=login).status_code == 200

    page.goto(f"{stack.base}/#/login")
    sign_in(page, REVIEWER[0], totp=reviewer_recovery_code(stack))
    heading(page, "Review queue")
    page.get_by_role("link", name="Support").click()
    heading(page, "Support")
    page.get_by_label("Email address or phone number").fill(email.upper())
    page.get_by_role("button", name="Look up").click()
    dossier = page.locator("article[data-account-id]")
    expect(dossier).to_contain_text("Email confirmed")
    assert email not in dossier.inner_text()  # contacts are masked
    expect(dossier.locator("tr[data-delivery-status]")).to_have_count(2)  # email and SMS codes
    expect(dossier.get_by_role("table", name="Live sessions").locator("tbody tr")).to_have_count(1)

    dossier.get_by_role("button", name="Sign out everywhere").click()
    expect(dossier.get_by_role("alert")).to_contain_text("Write a reason first")
    expect(dossier.get_by_label("Reason")).to_be_focused()
    dossier.get_by_label("Reason").fill("Ticket 42: phone lost")
    dossier.get_by_role("button", name="Sign out everywhere").click()
    expect(dossier.get_by_role("status")).to_have_text("Done. 1 session was signed out.")
    expect(dossier.get_by_text("No live sessions.")).to_be_visible()

    dossier.get_by_label("Reason").fill("Ticket 42: owner asked to freeze the account")
    dossier.get_by_role("button", name="Lock account").click()
    expect(dossier.get_by_role("status")).to_contain_text("Locked.")
    expect(dossier.locator("dd").filter(has_text="locked")).to_have_count(1)
    audit = dossier.get_by_role("table", name="Audit trail")
    expect(audit).to_contain_text("account locked")
    expect(audit).to_contain_text("support signed out")
    assert_screenshot(shot(page, "13-support"))

    dossier.get_by_label("Reason").fill("Ticket 42: identity confirmed by phone")
    dossier.get_by_role("button", name="Unlock account").click()
    expect(dossier.get_by_role("status")).to_contain_text("Unlocked.")
    expect(dossier.get_by_role("button", name="Lock account")).to_be_visible()
    dossier.get_by_label("Reason").fill("Ticket 43: says no code arrived")
    dossier.get_by_role("button", name="Resend code").click()  # both proven, nothing waiting
    expect(dossier.get_by_role("alert")).to_contain_text("Nothing to resend")
    assert httpx.post(f"{stack.base}/api/v1/auth/login", json=login).status_code == 200
    assert csp_violations == []


def test_the_browser_has_no_route_off_the_machine(stack: Stack, browser: Browser) -> None:
    """The fence itself: a request to Cloudflare fails, and the fence reports the attempt."""
    fence = OriginFence(stack.base)
    context = browser.new_context()
    fence.install(context)
    page = context.new_page()
    page.goto("about:blank")  # no page CSP here: only the browser's routing can stop it
    url = "https://challenges.cloudflare.com/turnstile/v0/api.js"
    outcome = page.evaluate(
        "url => fetch(url, {mode: 'no-cors'}).then(() => 'reached', () => 'failed')", url
    )
    context.close()
    assert outcome == "failed"
    assert fence.blocked == [url]
