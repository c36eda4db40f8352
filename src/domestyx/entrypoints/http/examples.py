"""Examples the contract shows for each body (by schema name) and each problem status."""

from __future__ import annotations

from typing import Any

from domestyx.entrypoints.http.problems import PROBLEM_BASE, TITLES

_AT = "2026-11-25T09:30:00Z"
_ID = "01JD3Z6T8K9Q2W4E5R6T7Y8U9I"
_DOC = {
    "id": _ID,
    "kind": "passport",
    "version": 1,
    "content_type": "image/jpeg",
    "size": 482133,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "status": "active",
    "uploaded_at": _AT,
    "delete_after": "2027-11-25T09:30:00Z",
    "legal_hold": False,
}
_VERIFICATION = {
    "id": _ID,
    "account_id": "01JD3Z4M2N1B0V9C8X7Z6A5S4D",
    "status": "submitted",
    "document_ids": [_ID],
    "submitted_at": _AT,
    "reviewer_id": None,
    "decided_at": None,
    "reason_code": None,
    "history": [],
}
_TOKENS = {
    "access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiIsInR5cCI6ImF0K2p3dCJ9.e30.c2ln",
    "refresh_token": "rt_3q2-7wE9v1nC0yKp4sJx8bA6fH5dL2mZ9tR1uW0oQ7e",
    "token_type": "bearer",
    "expires_in": 900,
}
EXAMPLES: dict[str, dict[str, Any]] = {
    "RegisterIn": {
        "email": "amina@example.com",
        "phone": "+254712345678",
        "password": "correct horse battery staple",
        "role": "worker",
        "turnstile_token": "0.turnstile-token",
    },
    "OtpSendIn": {
        "channel": "sms",
        "destination": "+254712345678",
        "purpose": "verify_phone",
        "turnstile_token": "0.turnstile-token",
    },
    "OtpVerifyIn": {
        "channel": "email",
        "destination": "amina@example.com",
        "purpose": "verify_email",
        "code": "482913",
    },
    "LoginIn": {
        "email": "amina@example.com",
        "password": "correct horse battery staple",
        "turnstile_token": "0.turnstile-token",
    },
    "RefreshIn": {"refresh_token": _TOKENS["refresh_token"]},
    "LogoutIn": {"refresh_token": _TOKENS["refresh_token"], "all": False},
    "PasswordChangeIn": {
        "current_password": "correct horse battery staple",
        "new_password": "a longer passphrase nobody guesses",
    },
    "DecisionIn": {"decision": "reject", "reason": "document_expired", "note": "Expired 2025."},
    "UploadForm": {"kind": "passport", "file": "(the JPEG, PNG or PDF bytes)"},
    "AcceptedOut": {
        "status": "accepted",
        "detail": "If the destination can receive it, a code is on its way.",
    },
    "TokenOut": _TOKENS,
    "VerifyOut": {
        "verified": True,
        "purpose": "verify_email",
        "email_verified": True,
        "phone_verified": False,
        "status": "pending",
    },
    "MeOut": {
        "id": "01JD3Z4M2N1B0V9C8X7Z6A5S4D",
        "email": "amina@example.com",
        "phone": "+254712345678",
        "role": "worker",
        "status": "active",
        "email_verified": True,
        "phone_verified": True,
        "identity_status": "not_started",
        "identity_verified": False,
        "created_at": _AT,
        "totp_enabled": False,
    },
    "TotpEnrolmentOut": {
        "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        "otpauth_uri": "otpauth://totp/DomestyX:amina%40example.com"
        "?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=DomestyX",
        "recovery_codes": ["abcd-efgh-ijkl-mnop"] * 10,
    },
    "TotpConfirmIn": {"code": "482913"},
    "SessionOut": {
        "id": _ID,
        "created_at": _AT,
        "last_used_at": _AT,
        "expires_at": "2026-12-25T09:30:00Z",
        "user_agent": "Mozilla/5.0",
        "ip": "198.51.100.7",
        "current": True,
    },
    "DocumentOut": _DOC,
    "DownloadOut": {
        "url": "https://files.example.com/d/...&X-Amz-Signature=...",
        "expires_at": _AT,
    },
    "ReviewEntryOut": {
        "from_status": "submitted",
        "to_status": "in_review",
        "actor_id": "01JD3Z9P8O7I6U5Y4T3R2E1W0Q",
        "at": _AT,
        "reason_code": None,
        "note": None,
    },
    "VerificationOut": _VERIFICATION,
    "ConfigOut": {
        "turnstile_site_key": "1x00000000000000000000AA",
        "sentry_dsn_frontend": None,
        "environment": "production",
        "release": "0.1.0",
        "turnstile_script_url": "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit",
        "max_upload_bytes": 10485760,
        "dev_outbox_url": None,
    },
    "LiveOut": {"status": "ok"},
    "JwkOut": {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
        "alg": "EdDSA",
        "use": "sig",
    },
}
EXAMPLES["JwksOut"] = {"keys": [EXAMPLES["JwkOut"]]}
EXAMPLES |= {
    "CodeIn": {"code": "482913"},
    "EmailChangeIn": {
        "new_email": "amina.w@example.org",
        "password": "correct horse battery staple",
    },
    "PhoneChangeIn": {"new_phone": "+254722000111", "password": "correct horse battery staple"},
    "PasswordForgotIn": {
        "channel": "email",
        "destination": "amina@example.com",
        "turnstile_token": "0.turnstile-token",
    },
    "PasswordResetIn": {
        "channel": "email",
        "destination": "amina@example.com",
        "code": "482913",
        "new_password": "a longer passphrase nobody guesses",
    },
}
# Rules across fields that a body's type cannot say; the handler enforces them (422).
_EMAIL = {"type": "string", "maxLength": 254}
_PHONE = {"type": "string", "maxLength": 32}
_ABSENT = {"type": "null"}  # matches a missing member too
CROSS_FIELD: dict[str, dict[str, Any]] = {
    # Not both, not neither (a null counts as absent); `not` keeps generated clients on one model.
    "LoginIn": {
        "description": "Password sign-in: exactly one of `email` or `phone`.",
        "not": {
            "anyOf": [
                {
                    "required": ["email", "phone"],
                    "properties": {"email": _EMAIL, "phone": _PHONE},
                },
                {"properties": {"email": _ABSENT, "phone": _ABSENT}},
            ]
        },
    },
}
_CODES = {
    400: ("invalid-request", "The request body has a field of the wrong type."),
    401: ("unauthenticated", "Sign in to continue."),
    403: ("forbidden", "This needs another role."),
    404: ("not-found", "No such resource."),
    409: ("conflict", "The resource is not in a state that allows this."),
    413: ("payload-too-large", "The body is larger than this route accepts."),
    415: ("unsupported-content-type", "this route reads application/json bodies"),
    422: ("invalid-input", "email is not a valid address"),
    429: ("rate-limited", "Too many attempts; try again later."),
    503: ("dependency-unavailable", "A dependency is unavailable; try again shortly."),
}


def _problem(status: int, code: str, detail: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": TITLES[status],
        "status": status,
        "detail": detail,
        "instance": "/api/v1/auth/login",
        "request_id": "4f2c1d9e8b7a6f5e4d3c2b1a0f9e8d7c",
    }
    if status in (400, 422):
        body["errors"] = [{"field": "email", "message": detail}]
    if status == 429:
        body["retry_after"] = 60
    return body


PROBLEM_EXAMPLES = {status: _problem(status, *_CODES[status]) for status in _CODES}
# Support tools (/api/v1/admin/accounts): contacts always masked.
_SUMMARY = {
    "id": _ID,
    "email": "a***@example.com",
    "phone": "+25********11",
    "role": "worker",
    "status": "pending",
    "email_verified": True,
    "phone_verified": False,
    "identity_status": "not_started",
    "created_at": _AT,
}
EXAMPLES |= {
    "ReasonIn": {"reason": "ticket 4711: worker never got the SMS"},
    "AccountSummaryOut": _SUMMARY,
    "ActionOut": {"account_id": _ID, "status": "suspended", "sessions_revoked": 2},
    "DossierOut": {
        "account": _SUMMARY,
        "sessions": [
            {
                "id": _ID,
                "created_at": _AT,
                "last_used_at": _AT,
                "expires_at": "2026-12-25T09:30:00Z",
                "user_agent": "Mozilla/5.0",
                "ip": "203.0.113.7",
            }
        ],
        "deliveries": [
            {
                "id": _ID,
                "channel": "sms",
                "template": "otp",
                "destination": "+25********11",
                "purpose": "verify_phone",
                "status": "undelivered",
                "attempts": 1,
                "provider_id": "SM0123456789abcdef0123456789abcdef",
                "error_code": "30003",
                "created_at": _AT,
                "updated_at": _AT,
            }
        ],
        "events": [
            {
                "id": _ID,
                "occurred_at": _AT,
                "event": "otp_sent",
                "outcome": "ok",
                "actor_id": None,
                "subject_id": _ID,
                "ip": "203.0.113.7",
                "details": {"channel": "sms", "purpose": "verify_phone"},
            }
        ],
    },
}
