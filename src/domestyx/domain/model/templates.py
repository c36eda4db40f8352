"""What our messages say, in plain text and HTML; codes are never put in subjects or logs."""

from __future__ import annotations

import html

import attrs

from domestyx.domain.model.delivery import EmailMessage, SmsMessage, Template

_PURPOSE_TEXT = {
    "verify_email": "confirm your email address",
    "verify_phone": "confirm your phone number",
    "login": "sign in",
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
        if template is Template.SIGNUP_NOTICE:
            subject = f"Someone tried to sign up to {self.product} with your details"
            text = (
                f"Someone tried to create a {self.product} account with your email address or "
                "phone number, which already belong to your account. If it was you, sign in "
                "instead. If not, you can ignore this email; your account is unchanged.\n"
            )
        else:
            subject = f"Your {self.product} password was changed"
            text = (
                f"The password of your {self.product} account was just changed and your other "
                "sessions were signed out. If this was not you, reset your password now.\n"
            )
        body = f"<p>{html.escape(text.strip())}</p>"
        return EmailMessage(
            to=to, subject=subject, text=text, html=body, tags=(("category", template.value),)
        )
