"""Identity documents: immutable versions in private storage, with retention and legal hold."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

from domestyx.domain.model.errors import Conflict


class DocumentKind(enum.StrEnum):
    """What a document proves."""

    ID_CARD = "id_card"
    PASSPORT = "passport"
    POLICE_CLEARANCE = "police_clearance"
    PROOF_OF_ADDRESS = "proof_of_address"
    WORK_PERMIT = "work_permit"
    OTHER = "other"


class DocumentStatus(enum.StrEnum):
    """active -> superseded (a newer version) -> deleted (by owner) -> purged (object gone)."""

    ACTIVE = "active"
    SUPERSEDED = "superseded"
    DELETED = "deleted"
    PURGED = "purged"


CONTENT_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
EXTENSIONS = {value: key if key != "jpeg" else "jpg" for key, value in CONTENT_TYPES.items()}
STORAGE_PREFIX = "documents/"


def storage_key(account_id: str, token: str) -> str:
    """Where a new version's bytes go: a random token, never anything the user sent."""
    return f"{STORAGE_PREFIX}{account_id}/{token}"


def account_of_key(key: str) -> str | None:
    """The account a generated storage key belongs to, or None for a key we did not make."""
    prefix, _, rest = key.partition(STORAGE_PREFIX)
    account_id, slash, token = rest.partition("/")
    if prefix or not account_id or not slash or not token or "/" in token:
        return None
    return account_id


@attrs.frozen
class RetentionPolicy:
    """How long each kind is kept after upload, and after it is replaced or deleted."""

    keep_for: dict[DocumentKind, timedelta] = attrs.field(
        factory=lambda: {
            DocumentKind.ID_CARD: timedelta(days=730),
            DocumentKind.PASSPORT: timedelta(days=730),
            # Criminal-offence data (GDPR Art. 10): keep it the shortest.
            DocumentKind.POLICE_CLEARANCE: timedelta(days=180),
            DocumentKind.PROOF_OF_ADDRESS: timedelta(days=365),
            DocumentKind.WORK_PERMIT: timedelta(days=730),
            DocumentKind.OTHER: timedelta(days=365),
        }
    )
    after_replacement: timedelta = timedelta(days=30)
    after_deletion: timedelta = timedelta(0)

    def delete_after(self, kind: DocumentKind, uploaded_at: datetime) -> datetime:
        """When a fresh upload becomes due for purge."""
        return uploaded_at + self.keep_for.get(kind, timedelta(days=365))


@attrs.define
class Document:
    """One immutable version of one kind of document of one account."""

    id: str
    account_id: str
    kind: DocumentKind
    version: int
    storage_key: str | None
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    delete_after: datetime
    status: DocumentStatus = DocumentStatus.ACTIVE
    legal_hold: bool = False
    deleted_at: datetime | None = None
    purged_at: datetime | None = None

    @property
    def download_filename(self) -> str:
        """A safe generated name; the user's own file name is never stored or echoed."""
        return f"{self.kind}-v{self.version}.{EXTENSIONS.get(self.content_type, 'bin')}"

    @property
    def visible(self) -> bool:
        """Still listed to its owner."""
        return self.status in (DocumentStatus.ACTIVE, DocumentStatus.SUPERSEDED)

    def supersede(self, now: datetime, policy: RetentionPolicy) -> None:
        """A newer version replaces this one; keep it a while for the review trail."""
        if self.status is DocumentStatus.ACTIVE:
            self.status = DocumentStatus.SUPERSEDED
            self.delete_after = min(self.delete_after, now + policy.after_replacement)

    def delete(self, now: datetime, policy: RetentionPolicy) -> None:
        """The owner asks for removal; the purge job erases it."""
        if not self.visible:
            raise Conflict("document is already deleted")
        self.status = DocumentStatus.DELETED
        self.deleted_at = now
        self.delete_after = min(self.delete_after, now + policy.after_deletion)

    def schedule_erasure(self, now: datetime) -> bool:
        """The account is erased: due now unless legally held; False when nothing changed."""
        if self.status is DocumentStatus.PURGED or (
            self.status is DocumentStatus.DELETED and self.delete_after <= now
        ):
            return False
        if self.visible:
            self.status = DocumentStatus.DELETED
            self.deleted_at = now
        self.delete_after = min(self.delete_after, now)
        return True

    def is_due(self, now: datetime) -> bool:
        """Past retention, not held, object not yet erased."""
        return (
            self.status is not DocumentStatus.PURGED
            and not self.legal_hold
            and self.delete_after <= now
        )

    def tombstone(self, now: datetime) -> None:
        """Erase the personal data of the row once the object is gone; keep the fact it existed."""
        self.status = DocumentStatus.PURGED
        self.purged_at = now
        self.storage_key = None
        self.sha256 = ""
        self.size = 0
