"""Canonical contacts: any spelling of a number is one value or a 422, never two."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domestyx.adapters.contacts.canonical import LibraryContactCanonicalizer
from domestyx.domain.model.accounts import Role
from domestyx.domain.model.audit import ClientContext
from domestyx.domain.model.errors import InvalidInput, RateLimited
from domestyx.domain.model.otp import Channel, Purpose
from tests.support.abuse_world import AbuseWorld
from tests.support.spellings import spellings

CONTACTS = LibraryContactCanonicalizer()
ASCII_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
NUMBERS = ("+447700900123", "+14155550100", "+37120000000", "+33612345678", "+919876543210")


@given(st.sampled_from(NUMBERS).flatmap(lambda n: st.tuples(st.just(n), spellings(n))))
def test_every_spelling_of_a_number_is_its_one_ascii_e164(case: tuple[str, str]) -> None:
    e164, spelled = case
    assert CONTACTS.phone(spelled) == e164


def _attempt(raw: str) -> str | InvalidInput:
    try:
        return CONTACTS.phone(raw)
    except InvalidInput as refused:
        return refused


@given(st.text(max_size=40))
def test_any_text_is_one_canonical_number_or_a_422(raw: str) -> None:
    canonical = _attempt(raw)
    if isinstance(canonical, InvalidInput):
        assert canonical.field == "phone" and canonical.detail
        return
    assert ASCII_E164.match(canonical), canonical
    assert CONTACTS.phone(canonical) == canonical  # idempotent: stored form is a fixed point


@pytest.mark.parametrize(
    "raw",
    [
        "447700900123",  # no country code marker
        "+44 7700 900123 ext 5",
        "+999 1234567",  # no such country
        "+44 12",  # impossible length
        "+4477009001230000",
        "+44\u00b27700900123",  # superscript two: a digit, but not a decimal one
        "++447700900123",
        "+44 7700 900123\u200b",  # zero-width space hides in copy-paste
        "\u202e+447700900123",
        "x" * 65,
    ],
)
def test_impossible_or_disguised_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        CONTACTS.phone(raw)
    assert refused.value.field == "phone" and "+447700900123" in refused.value.detail


def test_the_calling_code_is_read_from_the_numbering_plan() -> None:
    assert CONTACTS.calling_code("+447700900123") == "+44"
    assert CONTACTS.calling_code("+14155550100") == "+1"
    assert CONTACTS.calling_code("+37120000000") == "+371"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Ann@Example.COM", "ann@example.com"),
        ("  ann@example.com ", "ann@example.com"),
        ("ann@BÜCHER.de", "ann@xn--bcher-kva.de"),
        ("ann@xn--bcher-kva.de", "ann@xn--bcher-kva.de"),
        ("e\u0301l\u00e8ve@example.com", "\u00e9l\u00e8ve@example.com"),  # NFC
    ],
)
def test_emails_have_one_spelling(raw: str, canonical: str) -> None:
    assert CONTACTS.email(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    ["ann", "ann@", "ann@example", "Ann <ann@example.com>", '"a b"@example.com', "a@[1.2.3.4]"],
)
def test_malformed_emails_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        CONTACTS.email(raw)
    assert refused.value.field == "email"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(spellings("+447700900123"), min_size=2, max_size=4))
def test_spellings_never_make_two_phones_or_two_limit_keys(spelled: list[str]) -> None:
    """Every registration stores the one number; every send spends the one destination limit."""
    world = AbuseWorld()
    for n, raw in enumerate(spelled):
        world.accounts.register(
            f"person{n}@example.com",
            raw,
            "maple syrup river 42",
            Role.WORKER,
            ClientContext(),
            token=world.human("register"),
        )
    assert {a.phone for a in world.db.state.accounts.values()} == {"+447700900123"}
    with world.db() as uow:
        assert len(uow.accounts.phone_claims("+447700900123")) == len(spelled)
    dest_limit = world.policy.limits["otp_send"][1]  # destination, per hour

    def send(n: int) -> None:
        world.clock.advance(timedelta(seconds=61))  # past the cooldown of the one slot
        ctx = ClientContext(ip=f"192.0.2.{n}")  # many addresses: only the number counts
        world.codes.send(
            Channel.SMS,
            spelled[n % len(spelled)],
            Purpose.VERIFY_PHONE,
            ctx,
            token=world.human("otp_send"),
        )

    for n in range(dest_limit.count):
        send(n)
    with pytest.raises(RateLimited):
        send(dest_limit.count)
