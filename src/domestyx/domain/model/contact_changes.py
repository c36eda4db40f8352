"""A requested change of email or phone: nothing changes until the new contact is proven."""

from __future__ import annotations

from datetime import datetime

import attrs

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
        return Purpose.CHANGE_EMAIL if self.channel is Channel.EMAIL else Purpose.CHANGE_PHONE

    def is_live(self, now: datetime) -> bool:
        """Its code may still be redeemed."""
        return now < self.expires_at
