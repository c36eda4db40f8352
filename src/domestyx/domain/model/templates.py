"""What our messages say, in plain text and HTML; codes are never put in subjects or logs."""

from __future__ import annotations

import html

import attrs

from domestyx.domain.model.delivery import EmailMessage, SmsMessage, Template

_PURPOSE_TEXT = {
    "verify_email": "confirm your email address",
    "verify_phone": "confirm your phone number",
    "login": "sign in",
    "reset_password": "reset your password",
    "change_email": "make this your account's email address",
    "change_phone": "make this your account's phone number",
}
# Notices carry no secret: (subject, text) with {product} filled in.
_NOTICES = {
    Template.SIGNUP_NOTICE: (
        "Someone tried to sign up to {product} with your details",
        "Someone tried to create a {product} account with your email address or phone number, "
        "which already belong to your account. If it was you, sign in instead. If not, you can "
        "ignore this email; your account is unchanged.\n",
    ),
    Template.PASSWORD_CHANGED: (
        "Your {product} password was changed",
        "The password of your {product} account was just changed and your other sessions were "
        "signed out. If this was not you, reset your password now.\n",
    ),
    Template.PASSWORD_RESET: (
        "Your {product} password was reset",
        "The password of your {product} account was just reset with a code sent to one of your "
        "contacts, and every session was signed out. If this was not you, reset it again now "
        "and contact support.\n",
    ),
    Template.EMAIL_CHANGED: (
        "Your {product} email address was changed",
        "The email address of your {product} account was just changed; this address no longer "
        "signs in, and your other sessions were signed out. If this was not you, contact "
        "support now.\n",
    ),
    Template.PHONE_CHANGED: (
        "Your {product} phone number was changed",
        "The phone number of your {product} account was just changed and your other sessions "
        "were signed out. If this was not you, reset your password and contact support now.\n",
    ),
}


@attrs.frozen
class MessageTemplates:
    """Renders each template for email or SMS."""

    product: str = "DomestyX"
    valid_minutes: int = 10
    status_callback_url: str | None = None

    def otp_email(self, to: str, code: str, purpose: str) -> EmailMessage:
        """The code email; the subject stays generic so previews don't leak it."""
        doing = _PURPOSE_TEXT.get(purpose, "continue")
        text = (
            f"Your {self.product} code is {code}\n\n"
            f"Use it to {doing}. It expires in {self.valid_minutes} minutes and works once.\n"
            "If you did not ask for it, ignore this email; nobody can use it without you.\n"
        )
        body = (
            f"<p>Your {html.escape(self.product)} code is</p>"
            f'<p style="font-size:28px;letter-spacing:4px"><strong>{html.escape(code)}</strong></p>'
            f"<p>Use it to {html.escape(doing)}. It expires in {self.valid_minutes} minutes and "
            "works once.</p><p>If you did not ask for it, ignore this email.</p>"
        )
        return EmailMessage(
            to=to,
            subject=f"Your {self.product} verification code",
            text=text,
            html=body,
            tags=(("category", "otp"), ("purpose", purpose)),
        )

    def otp_sms(self, to: str, code: str, purpose: str) -> SmsMessage:
        """Short, with the code first so phones can offer autofill."""
        doing = _PURPOSE_TEXT.get(purpose, "continue")
        body = (
            f"{code} is your {self.product} code to {doing}. "
            f"It expires in {self.valid_minutes} min."
        )
        return SmsMessage(to=to, body=body, status_callback=self.status_callback_url)

    def notice_email(self, to: str, template: Template) -> EmailMessage:
        """Account notices that carry no secret."""
        subject, text = (part.format(product=self.product) for part in _NOTICES[template])
        body = f"<p>{html.escape(text.strip())}</p>"
        return EmailMessage(
            to=to, subject=subject, text=text, html=body, tags=(("category", template.value),)
        )
