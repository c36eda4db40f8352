"""A requested change of email or phone: nothing changes until the new contact is proven."""

from __future__ import annotations

from datetime import datetime

import attrs

from domestyx.domain.model.accounts import Account
from domestyx.domain.model.otp import Channel, Purpose


@attrs.frozen
class ContactChange:
    """One account's pending change on one channel; a newer request replaces it."""

    account_id: str
    channel: Channel
    new_value: str
    requested_at: datetime
    expires_at: datetime

    @property
    def purpose(self) -> Purpose:
        """The purpose of the code that proves the new contact."""
        return change_purpose(self.channel)

    def is_live(self, now: datetime) -> bool:
        """Its code may still be redeemed."""
        return now < self.expires_at


def change_purpose(channel: Channel) -> Purpose:
    """The purpose of a change code on a channel."""
    return Purpose.CHANGE_EMAIL if channel is Channel.EMAIL else Purpose.CHANGE_PHONE


def contact_of(account: Account, channel: Channel) -> str:
    """The account's current contact on a channel."""
    return account.email if channel is Channel.EMAIL else account.phone


def proven_on(account: Account, channel: Channel) -> bool:
    """The account proved its contact on this channel."""
    return account.email_verified if channel is Channel.EMAIL else account.phone_verified


def noun(channel: Channel) -> str:
    """How the messages name a contact of this channel."""
    return "email address" if channel is Channel.EMAIL else "phone number"
