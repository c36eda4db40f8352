"""The in-memory world the document, review and retention tests run in."""

from __future__ import annotations

import io
import itertools
from datetime import timedelta
from typing import Any

import attrs

from domestyx.adapters.memory.clock import ManualClock
from domestyx.adapters.memory.monitoring import RecordingErrorReporter
from domestyx.adapters.memory.randomness import SeededSecretGenerator, SequentialIdGenerator
from domestyx.adapters.memory.sanitizer import PassThroughSanitizer
from domestyx.adapters.memory.storage import InMemoryDocumentStorage
from domestyx.adapters.memory.unit_of_work import InMemoryDatabase, InMemoryUnitOfWork
from domestyx.domain.model.accounts import Account, Role
from domestyx.domain.model.audit import AuditEvent, AuditEventType, ClientContext
from domestyx.domain.model.documents import Document, DocumentKind
from domestyx.domain.model.errors import DependencyUnavailable
from domestyx.domain.model.mfa import AAL_MFA, AAL_PASSWORD
from domestyx.domain.model.sessions import Principal
from domestyx.domain.services.documents import DocumentService
from domestyx.domain.services.retention import RetentionService
from domestyx.domain.services.review import ReviewService
from domestyx.domain.services.review_policy import RequiredKinds
from domestyx.entrypoints.services import Services
from domestyx.ports.storage import DocumentStorage
from domestyx.ports.uploads import UploadSanitizer
from tests.support import files
from tests.support.worlds import Fakes, fake_services, unit_settings

CTX = ClientContext(ip="203.0.113.7", user_agent="pytest")


class _FlakyUnitOfWork(InMemoryUnitOfWork):
    """Commits fail while the database says so; everything else is the real fake."""

    def __init__(self, database: FlakyDatabase) -> None:
        super().__init__(database)
        self._flaky = database

    def commit(self) -> None:
        """Fail like a lost connection at COMMIT, or commit for real."""
        if self._flaky.fail_commits:
            raise DependencyUnavailable("commit failed", dependency="database")
        super().commit()


class FlakyDatabase(InMemoryDatabase):
    """The fake database whose commits can be made to fail."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_commits = False

    def __call__(self) -> InMemoryUnitOfWork:
        """A unit of work that honours `fail_commits`."""
        return _FlakyUnitOfWork(self)


@attrs.define
class World:
    """Fakes for every port plus the services the composition root builds over them."""

    clock: ManualClock = attrs.Factory(ManualClock)
    db: FlakyDatabase = attrs.Factory(FlakyDatabase)
    storage: InMemoryDocumentStorage = attrs.Factory(InMemoryDocumentStorage)
    ids: SequentialIdGenerator = attrs.Factory(SequentialIdGenerator)
    secrets: SeededSecretGenerator = attrs.Factory(SeededSecretGenerator)
    reporter: RecordingErrorReporter = attrs.Factory(RecordingErrorReporter)
    sanitizer: PassThroughSanitizer = attrs.Factory(PassThroughSanitizer)
    _numbers: itertools.count[int] = attrs.Factory(lambda: itertools.count(100))
    services: Services = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.services = self.rebuild()

    def rebuild(self, overrides: dict[Any, object] | None = None, **env: str) -> Services:
        """The root over these same fakes, with further overrides or environment variables."""
        fakes = Fakes(self.clock, self.db, self.ids, self.secrets, self.reporter)
        chosen = {
            DocumentStorage: self.storage,
            UploadSanitizer: self.sanitizer,
            **(overrides or {}),
        }
        return fake_services(fakes, chosen, unit_settings(**env))

    def documents(self, *, max_size: int | None = None) -> DocumentService:
        """The document service over the fakes; `max_size` is the upload-size setting."""
        if max_size is None:
            return self.services.documents
        return self.rebuild(MAX_UPLOAD_BYTES=str(max_size)).documents

    def reviews(self, *, required: RequiredKinds | None = None) -> ReviewService:
        """The review service over the fakes, with other required kinds if given."""
        if required is None:
            return self.services.review
        return self.rebuild({RequiredKinds: required}).review

    def retention(self) -> RetentionService:
        """The retention service over the fakes."""
        return self.services.retention

    def migrate(self) -> None:
        """What `domestyx migrate` does: the database's identity, then the bucket's marker."""
        self.services.bucket.ensure_identity()
        assert self.services.bucket.claim(only_if_empty=False).ok

    def account(
        self,
        role: Role = Role.WORKER,
        *,
        email: bool = True,
        phone: bool = True,
        mfa: bool = True,
    ) -> Principal:
        """A new account, with its contacts proven unless told otherwise."""
        number = next(self._numbers)
        account = Account(
            id=self.ids.new_id(),
            email=f"user{number}@example.com",
            phone=f"+4477009{number:05d}",
            role=role,
            password_hash="not-a-hash",
            created_at=self.clock.now(),
        )
        if email:
            account.verify_email(self.clock.now())
        if phone:
            account.verify_phone(self.clock.now())
        with self.db() as uow:
            uow.accounts.add(account)
            uow.commit()
        # Staff act from sessions that passed TOTP unless a test says otherwise (issue 14).
        aal = AAL_MFA if role.is_staff and mfa else AAL_PASSWORD
        return Principal(account_id=account.id, role=role, session_id=f"session-{number}", aal=aal)

    def upload(
        self,
        owner: Principal,
        kind: DocumentKind = DocumentKind.PASSPORT,
        data: bytes | None = None,
    ) -> Document:
        """Upload a real file through the service."""
        body = io.BytesIO(files.png() if data is None else data)
        return self.documents().upload(owner, kind, body, CTX)

    def stored(self, document_id: str) -> Document:
        """The committed row."""
        with self.db() as uow:
            document = uow.documents.get(document_id)
        assert document is not None
        return document

    def account_row(self, account_id: str) -> Account:
        """The committed account."""
        with self.db() as uow:
            account = uow.accounts.get(account_id)
        assert account is not None
        return account

    def events(self, event: AuditEventType) -> list[AuditEvent]:
        """Committed audit events of one type, oldest first."""
        return [e for e in self.db.state.audit if e.event is event]

    def age_object(self, key: str, by: timedelta) -> None:
        """Give a stored object a last-modified time in the past (the fake leaves it unset)."""
        self.storage.objects[key].last_modified = self.clock.now() - by
