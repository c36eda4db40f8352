"""What a new contact must be and how an unproven claim yields (its caps: CodeService)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domestyx.domain.model.accounts import Account
from domestyx.domain.model.errors import Conflict, InvalidInput
from domestyx.domain.model.otp import Channel
from domestyx.domain.services.codes import canonical_destination

if TYPE_CHECKING:
    from domestyx.domain.services.guards import RequestGuard
    from domestyx.ports.contacts import ContactCanonicalizer
    from domestyx.ports.repositories import UnitOfWork

FIELD = {Channel.EMAIL: "new_email", Channel.SMS: "new_phone"}


def canonical_contact(
    contacts: ContactCanonicalizer, guard: RequestGuard, channel: Channel, raw: str
) -> str:
    """The canonical new contact, or a 422 naming the request's field; SMS must be allowed."""
    try:
        value = canonical_destination(contacts, channel, raw)
    except InvalidInput as exc:
        raise InvalidInput(exc.detail, field=FIELD[channel]) from exc
    if channel is Channel.SMS:
        guard.policy.sms.check(value)
    return value


def release_email(uow: UnitOfWork, holder: Account) -> None:
    """An unproven email claim never blocks its owner: that registration, never proven, goes.

    (Phones need nothing here: only a proven phone has an owner, and proving one releases
    every other claim, see CodeService.release_claims.)
    """
    if holder.email_verified:
        raise Conflict("a proven email is not released")
    uow.accounts.remove(holder.id)
