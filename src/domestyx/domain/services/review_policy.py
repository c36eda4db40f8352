"""Which documents an identity review needs, per role."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from domestyx.domain.model.accounts import Account, Role
from domestyx.domain.model.documents import Document, DocumentKind, DocumentStatus
from domestyx.domain.model.errors import Forbidden, InvalidInput

if TYPE_CHECKING:
    from domestyx.ports.repositories import UnitOfWork

# Any one kind of a requirement satisfies it.
Requirement = tuple[DocumentKind, ...]
_PROOF_OF_IDENTITY: Requirement = (DocumentKind.ID_CARD, DocumentKind.PASSPORT)


def _first_active(uow: UnitOfWork, account_id: str, kinds: Requirement) -> Document | None:
    for kind in kinds:
        latest = uow.documents.latest(account_id, kind)
        if latest is not None and latest.status is DocumentStatus.ACTIVE:
            return latest
    return None


def _default_requirements() -> dict[Role, tuple[Requirement, ...]]:
    return {
        Role.WORKER: (_PROOF_OF_IDENTITY, (DocumentKind.POLICE_CLEARANCE,)),
        Role.EMPLOYER: (_PROOF_OF_IDENTITY,),
    }


@attrs.frozen
class RequiredKinds:
    """Per role, the documents a submission needs, each as a tuple of alternatives."""

    by_role: dict[Role, tuple[Requirement, ...]] = attrs.field(factory=_default_requirements)

    def for_role(self, role: Role) -> tuple[Requirement, ...]:
        """What the role must provide; roles without an entry do not go through review."""
        if role not in self.by_role:
            raise Forbidden(f"identity review is not available to {role} accounts")
        return self.by_role[role]

    def choose(self, uow: UnitOfWork, account: Account) -> tuple[str, ...]:
        """The newest active version for each requirement; InvalidInput names what is missing."""
        chosen: list[str] = []
        missing: list[str] = []
        for kinds in self.for_role(account.role):
            found = _first_active(uow, account.id, kinds)
            if found is None:
                missing.append(" or ".join(kinds))
            else:
                chosen.append(found.id)
        if missing:
            raise InvalidInput(f"missing documents: {', '.join(missing)}", field="documents")
        return tuple(chosen)
