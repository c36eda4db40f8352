"""The abuse world plus the recovery and contact-change services over the same fakes."""

from __future__ import annotations

import re

import attrs

from domestyx.domain.model.accounts import Account
from domestyx.domain.model.audit import ClientContext
from domestyx.domain.model.sessions import Principal
from domestyx.domain.services.contact_change import ContactChangeService
from domestyx.domain.services.recovery import RecoveryService
from tests.support.abuse_world import AbuseWorld

OWNER = ClientContext(ip="192.0.2.1", user_agent="owner")
STRANGER = ClientContext(ip="198.51.100.7", user_agent="stranger")


@attrs.define
class FlowsWorld(AbuseWorld):
    """Services for issue 12's flows; codes are read back from the sealed outbox rows."""

    @property
    def recovery(self) -> RecoveryService:
        """password/forgot and password/reset."""
        return self.services.recovery

    @property
    def contact_change(self) -> ContactChangeService:
        """/me/email, /me/phone and their verify."""
        return self.services.contact_change

    def proven(self, email: str, phone: str) -> Account:
        """An account with both contacts proven."""
        self.account(email, phone)
        with self.db() as uow:
            account = uow.accounts.by_email(email)
            assert account is not None
            account.verify_phone(self.clock.now())
            uow.accounts.save(account)
            uow.commit()
        return account

    def sign_in(self, account: Account) -> Principal:
        """A session of the account, as a principal."""
        with self.db() as uow:
            pair = self.sessions.start(uow, account, OWNER)
            uow.commit()
        return Principal(account_id=account.id, role=account.role, session_id=pair.session_id)

    def live(self, principal: Principal) -> bool:
        """The principal's session still authenticates."""
        with self.db() as uow:
            found = uow.sessions.principal(
                principal.session_id, principal.account_id, self.clock.now()
            )
        return found is not None

    def sent_to(self, destination: str) -> list[tuple[str, str | None]]:
        """(template, purpose) of every queued message to a destination, oldest first."""
        rows = sorted(self.db.state.deliveries.values(), key=lambda d: d.id)
        return [(d.template.value, d.purpose) for d in rows if d.destination == destination]

    def code_to(self, destination: str, purpose: str) -> str:
        """The newest code queued to a destination for a purpose (unsealed)."""
        rows = [
            d
            for d in sorted(self.db.state.deliveries.values(), key=lambda d: d.id)
            if d.destination == destination and d.purpose == purpose and d.sealed_code
        ]
        assert rows, f"no {purpose} code for {destination}"
        code = self.sealer.unseal(rows[-1].sealed_code or "", rows[-1].id)
        assert re.fullmatch(r"\d{6}", code)
        return code

    def account_by_id(self, account_id: str) -> Account:
        """A fresh read of one account."""
        with self.db() as uow:
            account = uow.accounts.get(account_id)
        assert account is not None
        return account
