"""Per-request inputs for each benchmarked route; every line is valid exactly once."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import attrs
import httpx

from bench.load import Line
from bench.seed import PASSWORD, Seeder, client_ip, wrong_code
from bench.stack import BenchStack
from domestyx.domain.model.documents import DocumentKind

LIVE = "/health/live"
VERIFY = "/api/v1/auth/otp/verify"
REFRESH = "/api/v1/auth/refresh"
DOCUMENTS = "/api/v1/documents"
SEND = "/api/v1/auth/otp/send"
ME = "/api/v1/me"
LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"
# otp/send: blocks of 20 client IPs sending 25 requests each; the per-IP limit is 20 an hour.
IPS_PER_BLOCK, SENDS_PER_IP = 4, 25
MAX_SMS = 90  # below the +44 prefix cap of 100 an hour


@attrs.define
class Scenarios:
    """Builds input lines from freshly seeded data."""

    stack: BenchStack
    seeder: Seeder
    _ips: Any = attrs.field(factory=lambda: itertools.count(1))

    def ip(self) -> str:
        """A client address never used before in this run."""
        return client_ip(next(self._ips))

    def live(self) -> list[Line]:
        """The baseline: no dependency touched."""
        return [Line("GET", LIVE)]

    def verify_success(self, n: int) -> list[Line]:
        """n pending accounts, each proving its email with its live code (one IP per request)."""
        accounts = self.seeder.accounts(n, "vs")
        codes = self.seeder.email_codes(accounts)
        return [
            Line("POST", VERIFY, self.ip(), "", _verify_body(a.email, code))
            for a, code in zip(accounts, codes, strict=True)
        ]

    def verify_wrong(self, n: int, tries: int = 4) -> list[Line]:
        """Wrong codes, `tries` per account (below the 5-try cap and the lockout's free tries)."""
        accounts = self.seeder.accounts(max(1, n // tries), "vw")
        codes = self.seeder.email_codes(accounts)
        pairs = list(zip(accounts, codes, strict=True))
        return [
            Line("POST", VERIFY, self.ip(), "", _verify_body(a.email, wrong_code(code)))
            for _ in range(tries)
            for a, code in pairs
        ][:n]

    def refresh(self, n: int, accounts: int = 500) -> list[Line]:
        """n live sessions over `accounts` active accounts; each refresh token used once."""
        owners = self.seeder.accounts(accounts, "rf", email_verified=True, phone_verified=True)
        pairs = self.seeder.sessions(owners, n)
        return [
            Line("POST", REFRESH, self.ip(), "", {"refresh_token": p.refresh_token}) for p in pairs
        ]

    def documents(self, accounts: int = 200) -> list[Line]:
        """Signed-in owners of two documents each, listing them (replayed: GET is idempotent)."""
        owners = self.seeder.accounts(accounts, "dl", email_verified=True, phone_verified=True)
        self.seeder.documents(owners, (DocumentKind.ID_CARD, DocumentKind.PASSPORT))
        pairs = self.seeder.sessions(owners, accounts)
        return [Line("GET", DOCUMENTS, self.ip(), f"Bearer {p.access_token}") for p in pairs]

    def me(self, accounts: int = 200) -> list[Line]:
        """Signed-in accounts reading their own profile (replayed: GET is idempotent)."""
        owners = self.seeder.accounts(accounts, "me", email_verified=True, phone_verified=True)
        pairs = self.seeder.sessions(owners, accounts)
        return [Line("GET", ME, self.ip(), f"Bearer {p.access_token}") for p in pairs]

    def login(self, n: int, prefix: str = "li") -> list[Line]:
        """Password sign-ins that succeed, one account and one client address each (so each
        is the account's first sign-in from that network)."""
        owners = self.seeder.accounts(n, prefix, email_verified=True, phone_verified=True)
        return [
            Line("POST", LOGIN, self.ip(), "", {"email": a.email, "password": PASSWORD,
                 "turnstile_token": self.stack.turnstile.issue("login")})
            for a in owners
        ]  # fmt: skip

    def login_again(self, first: list[Line]) -> list[Line]:
        """The same sign-ins once more, from the same addresses: the steady state, each
        network already the owner's (a fresh Turnstile token each)."""
        tokens = self.stack.turnstile
        return [
            attrs.evolve(line, body={**line.body, "turnstile_token": tokens.issue("login")})
            for line in first
        ]

    def register(self, n: int) -> list[Line]:
        """New registrations, each from its own address."""
        serial = next(self._ips)
        return [
            Line("POST", REGISTER, self.ip(), "", {
                "email": f"bench-reg-{serial}-{i}@example.com",
                "phone": f"+4475{serial % 10000:04d}{i:04d}",
                "password": PASSWORD, "role": "worker",
                "turnstile_token": self.stack.turnstile.issue("register")})
            for i in range(n)
        ]  # fmt: skip

    def otp_send(self, n: int, *, real_every: int = 5) -> list[Line]:
        """Unknown addresses, every `real_every`-th a real pending account, over an IP pool."""
        reals = n // real_every + 1
        sms_n = min(MAX_SMS, reals // 10)
        emails = iter(self.seeder.accounts(reals - sms_n, "se"))
        phones = iter(self.seeder.accounts(sms_n, "ss", email_verified=True))
        block_ips: list[str] = []
        lines = []
        for i in range(n):
            j = i % (IPS_PER_BLOCK * SENDS_PER_IP)
            if j == 0:
                block_ips = [self.ip() for _ in range(IPS_PER_BLOCK)]
            body: dict[str, str]
            if i % real_every == 0 and (i // real_every) % 10 == 0 and (a := next(phones, None)):
                body = {"channel": "sms", "destination": a.phone, "purpose": "verify_phone"}
            elif i % real_every == 0 and (a := next(emails, None)):
                body = {"channel": "email", "destination": a.email, "purpose": "verify_email"}
            else:
                body = {
                    "channel": "email",
                    "destination": f"nobody-{next(self._ips)}@example.com",
                    "purpose": "verify_email",
                }
            body["turnstile_token"] = self.stack.turnstile.issue("otp_send")
            lines.append(Line("POST", SEND, block_ips[j % IPS_PER_BLOCK], "", body))
        return lines


def sends(scenarios: Scenarios, n: int, *, real: bool = False, ip: str | None = None) -> list[Line]:
    """Single otp/send requests: unknown or real (pending) addresses, from fresh IPs or one IP."""
    accounts = iter(scenarios.seeder.accounts(n, "sr")) if real else None
    lines = []
    for _ in range(n):
        if accounts is not None:
            destination = next(accounts).email
        else:
            destination = f"nobody-{next(scenarios._ips)}@example.com"
        body = {
            "channel": "email",
            "destination": destination,
            "purpose": "verify_email",
            "turnstile_token": scenarios.stack.turnstile.issue("otp_send"),
        }
        lines.append(Line("POST", SEND, ip or scenarios.ip(), "", body))
    return lines


def _verify_body(email: str, code: str) -> dict[str, str]:
    return {"channel": "email", "destination": email, "purpose": "verify_email", "code": code}


def send_all(http: httpx.Client, lines: list[Line]) -> Counter[int]:
    """Send lines one after another; returns the statuses seen."""
    seen: Counter[int] = Counter()
    for line in lines:
        headers = {}
        if line.forwarded_for:
            headers["X-Forwarded-For"] = line.forwarded_for
        if line.authorization:
            headers["Authorization"] = line.authorization
        response = http.request(line.method, line.path, json=line.body, headers=headers)
        seen[response.status_code] += 1
    return seen
