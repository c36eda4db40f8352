"""A complete, valid production environment for settings tests to break one variable at a time."""

from __future__ import annotations

from domestyx.adapters.system.signing_keys import generate_pem

SECRET = "Zq3vR8mX1pL6tW9cY2bN5hK0sD7fG4jA-secret"
JWT_KEY = generate_pem()
CA_PEM = "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----"
GOOD_PRODUCTION = {
    "DOMESTYX_ENV": "production",
    "DATABASE_URL": "mysql://avnadmin:pw@db.aivencloud.com:12345/defaultdb?ssl-mode=REQUIRED",
    "DATABASE_CA_PEM": CA_PEM,
    "REDIS_URL": "rediss://default:pw@redis.example.com:6380",
    "RESEND_API_KEY": "re_123",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "TWILIO_FROM_NUMBER": "+15005550006",
    "TURNSTILE_SITE_KEY": "0x4AAAAAAA",
    "TURNSTILE_SECRET_KEY": "0x4AAAAAAA-secret",
    "TURNSTILE_EXPECTED_HOSTNAMES": "app.domestyx.com",
    "STORAGE_BUCKET_NAME": "domestyx-documents",
    "STORAGE_ACCESS_KEY": "ak",
    "STORAGE_SECRET_KEY": "sk",
    "STORAGE_REGION": "auto",
    "STORAGE_ENDPOINT_URL": "https://acc.r2.cloudflarestorage.com",
    "SENTRY_DSN_BACKEND": "https://pub@o1.ingest.sentry.io/1",
    "SENTRY_DSN_FRONTEND": "https://pub@o1.ingest.sentry.io/2",
    "ALLOWED_HOSTS": "api.domestyx.com",
    "CORS_ALLOWED_ORIGINS": "https://app.domestyx.com",
    "SECRET_KEY": SECRET,
    "JWT_SIGNING_KEY": JWT_KEY,
    "EMAIL_FROM": "DomestyX <no-reply@domestyx.com>",
    "PUBLIC_BASE_URL": "https://api.domestyx.com",
    "SMS_ALLOWED_PREFIXES": "+44,+254",
    "TRUSTED_PROXIES": "10.0.0.0/8",
    "RESEND_WEBHOOK_SECRET": "whsec_abc",
    "HEARTBEAT_URL_WORKER": "https://uptime.betterstack.com/api/v1/heartbeat/w",
    "HEARTBEAT_URL_PURGE": "https://uptime.betterstack.com/api/v1/heartbeat/p",
    "HEARTBEAT_URL_BACKUP": "https://uptime.betterstack.com/api/v1/heartbeat/b",
}
