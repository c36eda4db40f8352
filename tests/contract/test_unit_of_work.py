"""UnitOfWork and repositories: the in-memory fake, SQLite and MariaDB pass the same tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from domestyx.adapters.memory.unit_of_work import InMemoryDatabase
from domestyx.adapters.sql import migrate
from domestyx.adapters.sql.engine import create_database_engine
from domestyx.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domestyx.domain.model.accounts import Account, AccountStatus, Role
from domestyx.domain.model.audit import AuditEvent, AuditEventType
from domestyx.domain.model.contact_changes import ContactChange
from domestyx.domain.model.delivery import Delivery, DeliveryStatus, Template
from domestyx.domain.model.documents import Document, DocumentKind, DocumentStatus
from domestyx.domain.model.errors import Conflict, NestedUnitOfWork
from domestyx.domain.model.mfa import TotpCredential
from domestyx.domain.model.otp import Channel
from domestyx.domain.model.sessions import RefreshToken, Session
from domestyx.domain.model.verification import ReviewEntry, Verification
from domestyx.ports.repositories import UnitOfWorkFactory
from tests.support.services import scratch_mariadb_database

NOW = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "mariadb"])
def uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UnitOfWorkFactory]:
    """Each implementation, on an empty migrated schema."""
    if request.param == "memory":
        yield InMemoryDatabase()
        return
    if request.param == "sqlite":
        engine = create_database_engine(f"sqlite:///{tmp_path}/contract.db")
        migrate.upgrade(engine)
        yield SqlUnitOfWorkFactory(engine)
        engine.dispose()
        return
    with scratch_mariadb_database() as url:
        engine = create_database_engine(url)
        migrate.upgrade(engine)
        yield SqlUnitOfWorkFactory(engine)
        engine.dispose()


def account(n: int = 1, **changes: object) -> Account:
    base = Account(
        id=f"{n:032x}",
        email=f"user{n}@example.com",
        phone=f"+4477009001{n:02d}",
        role=Role.WORKER,
        password_hash="argon2-hash",
        created_at=NOW,
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def add(uow: UnitOfWorkFactory, *accounts: Account) -> None:
    with uow() as tx:
        for a in accounts:
            tx.accounts.add(a)
        tx.commit()


class TestAccounts:
    def test_round_trip_keeps_every_field_and_microseconds(self, uow: UnitOfWorkFactory) -> None:
        original = account(email_verified_at=NOW + timedelta(microseconds=1), phone_verified_at=NOW)
        add(uow, original)
        with uow() as tx:
            assert tx.accounts.get(original.id) == original
            assert tx.accounts.by_email(original.email) == original
            assert tx.accounts.by_phone(original.phone) == original

    def test_email_or_phone_in_one_read_answers_as_the_two_lookups(
        self, uow: UnitOfWorkFactory
    ) -> None:
        mailer, owner, claimant = account(1), account(2, phone_verified_at=NOW), account(3)
        add(uow, mailer, owner, claimant)
        with uow() as tx:
            for email, phone in [
                (mailer.email, owner.phone),  # two accounts
                (owner.email, owner.phone),  # one account, both
                (mailer.email, claimant.phone),  # a claim owns nothing
                ("nobody@example.com", "+447700900999"),
            ]:
                both = tx.accounts.by_email_or_phone(email, phone, for_update=True)
                assert both == (tx.accounts.by_email(email), tx.accounts.by_phone(phone))

    def test_taken_email_or_owned_phone_is_a_conflict(self, uow: UnitOfWorkFactory) -> None:
        add(uow, account(1, phone_verified_at=NOW))
        with uow() as tx, pytest.raises(Conflict):
            tx.accounts.add(account(2, email="user1@example.com"))
        with uow() as tx, pytest.raises(Conflict):
            tx.accounts.add(account(3, phone="+447700900101", phone_verified_at=NOW))

    def test_an_unproven_phone_is_a_claim_that_owns_nothing(self, uow: UnitOfWorkFactory) -> None:
        squatter = account(1)
        owner = account(2, phone=squatter.phone, created_at=NOW + timedelta(seconds=1))
        add(uow, squatter, owner)
        with uow() as tx:
            assert tx.accounts.by_phone(squatter.phone) is None
            claims = tx.accounts.phone_claims(squatter.phone)
            assert [a.id for a in claims] == [owner.id, squatter.id]  # newest first
            proven = tx.accounts.get(owner.id, for_update=True)
            assert proven is not None
            proven.verify_email(NOW)
            proven.verify_phone(NOW)
            tx.accounts.save(proven)
            tx.commit()
        with uow() as tx:
            found = tx.accounts.by_phone(squatter.phone)
            assert found is not None and found.id == owner.id
            rival = tx.accounts.get(squatter.id, for_update=True)
            assert rival is not None
            rival.verify_email(NOW)
            rival.verify_phone(NOW)
            with pytest.raises(Conflict):
                tx.accounts.save(rival)  # one owner per number, enforced by the store

    def test_contacts_compare_exactly_never_folded(self, uow: UnitOfWorkFactory) -> None:
        # MariaDB's utf8mb4_unicode_ci folds case and digit scripts; these columns must not.
        add(uow, account(1, phone_verified_at=NOW))
        folded_phone = "+44\u0667\u0667\u0660\u0660\u0669\u0660\u0660\u0661\u0660\u0661"
        with uow() as tx:
            assert tx.accounts.by_email("USER1@example.com") is None
            assert tx.accounts.by_email("user1@examplé.com") is None
            assert tx.accounts.by_phone(folded_phone) is None
            assert tx.accounts.phone_claims(folded_phone) == []
            tx.accounts.add(account(2, email="USER1@example.com", phone=folded_phone))
            tx.commit()

    def test_remove_takes_sessions_tokens_and_outbox_rows(self, uow: UnitOfWorkFactory) -> None:
        add(uow, account(1), account(2))
        session = Session(id="s" * 32, account_id=account(1).id, created_at=NOW, expires_at=NOW)
        token = RefreshToken(
            id="t" * 32, session_id=session.id, token_hash="h" * 64, issued_at=NOW, expires_at=NOW
        )
        delivery = Delivery(
            id="d" * 32,
            channel=Channel.EMAIL,
            template=Template.OTP,
            destination=account(1).email,
            created_at=NOW,
            expires_at=NOW,
            account_id=account(1).id,
        )
        with uow() as tx:
            tx.sessions.add_session(session)
            tx.sessions.add_token(token)
            tx.deliveries.add(delivery)
            tx.commit()
        with uow() as tx:
            tx.accounts.remove(account(1).id)
            tx.commit()
        with uow() as tx:
            assert tx.accounts.get(account(1).id) is None
            assert tx.accounts.get(account(2).id) is not None
            assert tx.sessions.get_session(session.id) is None
            assert tx.sessions.find_token(token.token_hash) is None
            assert tx.deliveries.get(delivery.id) is None
            tx.accounts.add(account(3, email=account(1).email))  # the email is free again
            tx.commit()

    def test_unproven_before_lists_only_old_never_proven_registrations(
        self, uow: UnitOfWorkFactory
    ) -> None:
        old = account(1, created_at=NOW - timedelta(hours=73))
        proven = account(2, created_at=NOW - timedelta(hours=73), email_verified_at=NOW)
        fresh = account(3, created_at=NOW)
        add(uow, old, proven, fresh)
        with uow() as tx:
            found = tx.accounts.unproven_before(NOW - timedelta(hours=72), limit=10)
        assert [a.id for a in found] == [old.id]

    def test_a_conflict_does_not_poison_the_transaction(self, uow: UnitOfWorkFactory) -> None:
        add(uow, account(1))
        with uow() as tx:
            with pytest.raises(Conflict):
                tx.accounts.add(account(2, email="user1@example.com"))
            tx.accounts.add(account(3))
            tx.commit()
        with uow() as tx:
            assert tx.accounts.get(account(3).id) is not None

    def test_save_writes_changes(self, uow: UnitOfWorkFactory) -> None:
        add(uow, account())
        with uow() as tx:
            a = tx.accounts.get(account().id, for_update=True)
            assert a is not None
            a.verify_email(NOW)
            a.verify_phone(NOW)
            tx.accounts.save(a)
            tx.commit()
        with uow() as tx:
            saved = tx.accounts.get(account().id)
            assert saved is not None and saved.status is AccountStatus.ACTIVE

    def test_saving_another_accounts_contact_is_a_conflict(self, uow: UnitOfWorkFactory) -> None:
        add(uow, account(1), account(2))
        with uow() as tx:
            second = tx.accounts.get(account(2).id, for_update=True)
            assert second is not None
            second.email = account(1).email
            with pytest.raises(Conflict):
                tx.accounts.save(second)
            tx.commit()
        with uow() as tx:
            assert tx.accounts.get(account(2).id) == account(2)

    def test_a_locked_row_saved_twice_still_conflicts_on_a_taken_contact(
        self, uow: UnitOfWorkFactory
    ) -> None:
        # The SQL repository skips its savepoint only while the locked row keeps its contacts.
        add(uow, account(1), account(2))
        with uow() as tx:
            second = tx.accounts.get(account(2).id, for_update=True)
            assert second is not None
            second.verify_email(NOW)
            tx.accounts.save(second)  # same contacts: no constraint can fail
            second.email = "moved@example.com"
            tx.accounts.save(second)
            second.email = account(1).email
            with pytest.raises(Conflict):
                tx.accounts.save(second)
            tx.commit()
        with uow() as tx:
            saved = tx.accounts.get(account(2).id)
            assert saved is not None and saved.email == "moved@example.com"
            assert saved.email_verified_at is not None

    def test_leaving_without_commit_rolls_back(self, uow: UnitOfWorkFactory) -> None:
        with uow() as tx:
            tx.accounts.add(account())
        with uow() as tx:
            assert tx.accounts.get(account().id) is None

    def test_an_exception_rolls_back(self, uow: UnitOfWorkFactory) -> None:
        def fail_midway() -> None:
            with uow() as tx:
                tx.accounts.add(account())
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            fail_midway()
        with uow() as tx:
            assert tx.accounts.by_email(account().email) is None

    def test_nesting_is_refused_and_the_outer_unit_keeps_its_writes(
        self, uow: UnitOfWorkFactory
    ) -> None:
        with uow() as outer:
            outer.accounts.add(account())
            with (
                pytest.raises(NestedUnitOfWork, match="already open on this thread"),
                uow() as inner,
            ):
                inner.accounts.add(account(2))
            outer.commit()
        with uow() as tx:
            assert tx.accounts.get(account().id) is not None
            assert tx.accounts.get(account(2).id) is None

    def test_re_entering_the_same_unit_is_refused(self, uow: UnitOfWorkFactory) -> None:
        tx = uow()
        with tx, pytest.raises(NestedUnitOfWork):
            tx.__enter__()
        with uow() as again:  # the refusal left nothing held
            assert again.accounts.get(account().id) is None

    def test_another_thread_may_open_one_after_the_first_closes(
        self, uow: UnitOfWorkFactory
    ) -> None:
        opened: list[bool] = []

        def other() -> None:
            with uow() as tx:
                opened.append(tx.accounts.get(account().id) is not None)

        with uow() as tx:
            tx.accounts.add(account())
            tx.commit()
            worker = threading.Thread(target=other)
            worker.start()
        worker.join(timeout=10)
        assert opened == [True]


class TestSessions:
    def setup_family(self, uow: UnitOfWorkFactory) -> tuple[Session, RefreshToken]:
        add(uow, account(email_verified_at=NOW))  # only a proven email holds a session
        session = Session(
            id="s" * 32,
            account_id=account().id,
            created_at=NOW,
            expires_at=NOW + timedelta(days=30),
        )
        token = RefreshToken(
            id="t" * 32,
            session_id=session.id,
            token_hash="h" * 64,
            issued_at=NOW,
            expires_at=NOW + timedelta(days=14),
        )
        with uow() as tx:
            tx.sessions.add_session(session)
            tx.sessions.add_token(token)
            tx.commit()
        return session, token

    def test_find_token_returns_token_family_and_account(self, uow: UnitOfWorkFactory) -> None:
        session, token = self.setup_family(uow)
        with uow() as tx:
            found = tx.sessions.find_token(token.token_hash)
        assert found is not None
        assert found[0] == token and found[1] == session and found[2].id == account().id

    def test_mark_used_records_the_successor(self, uow: UnitOfWorkFactory) -> None:
        _, token = self.setup_family(uow)
        with uow() as tx:
            tx.sessions.mark_used(token.id, NOW, "n" * 64)
            tx.commit()
        with uow() as tx:
            found = tx.sessions.find_token(token.token_hash)
        assert found is not None and found[0].used_at == NOW and found[0].successor_hash == "n" * 64

    def test_revoked_session_is_not_live_and_has_no_principal(self, uow: UnitOfWorkFactory) -> None:
        session, _ = self.setup_family(uow)
        with uow() as tx:
            assert tx.sessions.principal(session.id, account().id, NOW) is not None
            tx.sessions.revoke(session.id, NOW, "logout")
            tx.commit()
        with uow() as tx:
            assert tx.sessions.live_sessions(account().id, NOW) == []
            assert tx.sessions.principal(session.id, account().id, NOW) is None

    def test_revoke_all_keeps_the_current_one(self, uow: UnitOfWorkFactory) -> None:
        session, _ = self.setup_family(uow)
        other = Session(
            id="o" * 32, account_id=account().id, created_at=NOW, expires_at=NOW + timedelta(days=1)
        )
        with uow() as tx:
            tx.sessions.add_session(other)
            assert (
                tx.sessions.revoke_all(account().id, NOW, "password_changed", keep=session.id) == 1
            )
            tx.commit()
        with uow() as tx:
            assert [s.id for s in tx.sessions.live_sessions(account().id, NOW)] == [session.id]

    def test_a_session_of_an_unproven_email_has_no_principal(self, uow: UnitOfWorkFactory) -> None:
        # A session left from before the email rule (or written by a bug) authenticates nobody.
        session, _ = self.setup_family(uow)
        with uow() as tx:
            a = tx.accounts.get(account().id, for_update=True)
            assert a is not None
            a.email_verified_at = None
            tx.accounts.save(a)
            tx.commit()
        with uow() as tx:
            assert tx.sessions.principal(session.id, account().id, NOW) is None

    def test_expired_session_has_no_principal(self, uow: UnitOfWorkFactory) -> None:
        session, _ = self.setup_family(uow)
        with uow() as tx:
            assert tx.sessions.principal(session.id, account().id, NOW + timedelta(days=31)) is None

    def test_whoami_reads_the_principal_its_account_and_totp_state(
        self, uow: UnitOfWorkFactory
    ) -> None:
        session, _ = self.setup_family(uow)
        with uow() as tx:
            found = tx.sessions.whoami(session.id, account().id, NOW)
            principal = tx.sessions.principal(session.id, account().id, NOW)
        assert found is not None and principal is not None
        assert found.principal == principal
        assert found.account == account(email_verified_at=NOW)
        assert found.totp_enabled is False  # no credential at all
        credential = TotpCredential(account_id=account().id, sealed_secret="sealed", created_at=NOW)
        for confirmed_at, enabled in ((None, False), (NOW, True)):  # enrolled, then confirmed
            with uow() as tx:
                tx.mfa.save_totp(attrs.evolve(credential, confirmed_at=confirmed_at))
                tx.commit()
            with uow() as tx:
                found = tx.sessions.whoami(session.id, account().id, NOW)
            assert found is not None and found.totp_enabled is enabled

    @pytest.mark.parametrize("case", ["revoked", "expired", "suspended", "unproven", "other's"])
    def test_whoami_is_none_whenever_principal_is(self, uow: UnitOfWorkFactory, case: str) -> None:
        session, _ = self.setup_family(uow)
        add(uow, account(2, email_verified_at=NOW))
        account_id, now = account().id, NOW
        with uow() as tx:
            a = tx.accounts.get(account_id, for_update=True)
            assert a is not None
            if case == "revoked":
                tx.sessions.revoke(session.id, NOW, "logout")
            elif case == "expired":
                now = NOW + timedelta(days=31)
            elif case == "suspended":
                a.status = AccountStatus.SUSPENDED
            elif case == "unproven":
                a.email_verified_at = None
            else:
                account_id = account(2).id  # a live account, but not this session's
            tx.accounts.save(a)
            tx.commit()
        with uow() as tx:
            assert tx.sessions.principal(session.id, account_id, now) is None
            assert tx.sessions.whoami(session.id, account_id, now) is None


class TestOutboxDocumentsReviewAudit:
    def test_delivery_round_trip_and_provider_lookup(self, uow: UnitOfWorkFactory) -> None:
        add(uow, account())
        d = Delivery(
            id="d" * 32,
            channel=Channel.SMS,
            template=Template.OTP,
            destination="+447700900101",
            created_at=NOW,
            expires_at=NOW + timedelta(minutes=10),
            account_id=account().id,
            purpose="verify_phone",
            sealed_code="123456",
        )
        with uow() as tx:
            tx.deliveries.add(d)
            tx.commit()
        with uow() as tx:
            loaded = tx.deliveries.get(d.id, for_update=True)
            assert loaded == d
            loaded.status, loaded.provider_id = DeliveryStatus.SENT, "SM1"
            tx.deliveries.save(loaded)
            tx.commit()
        with uow() as tx:
            assert tx.deliveries.by_provider_id("SM1") is not None
            assert tx.deliveries.stale_queued(NOW + timedelta(hours=1), 10) == []

    def test_deliveries_for_an_account_newest_first_and_only_its_own(
        self, uow: UnitOfWorkFactory
    ) -> None:
        add(uow, account(1), account(2))
        mine = [
            Delivery(
                id=f"{i:032x}",
                channel=Channel.EMAIL,
                template=Template.OTP,
                destination="a@example.com",
                created_at=NOW + timedelta(minutes=i),
                expires_at=NOW + timedelta(hours=1),
                account_id=account(1 + i % 2).id,
            )
            for i in range(5)
        ]
        with uow() as tx:
            for d in mine:
                tx.deliveries.add(d)
            tx.commit()
        with uow() as tx:
            found = tx.deliveries.for_account(account(1).id, 2)
        assert [d.id for d in found] == [mine[4].id, mine[2].id]

    def test_documents_versions_and_purge_queries(self, uow: UnitOfWorkFactory) -> None:
        add(uow, account())
        docs = [
            Document(
                id=f"{i:032x}",
                account_id=account().id,
                kind=DocumentKind.PASSPORT,
                version=i,
                storage_key=f"documents/{account().id}/k{i}",
                content_type="application/pdf",
                size=10,
                sha256="0" * 64,
                uploaded_at=NOW + timedelta(seconds=i),
                delete_after=NOW + timedelta(days=i),
                legal_hold=i == 2,
            )
            for i in (1, 2, 3)
        ]
        with uow() as tx:
            for doc in docs:
                tx.documents.add(doc)
            tx.commit()
        with uow() as tx, pytest.raises(Conflict):
            tx.documents.add(attrs.evolve(docs[0], id="x" * 32, storage_key="other"))
        with uow() as tx:
            assert tx.documents.latest(account().id, DocumentKind.PASSPORT) == docs[2]
            assert [d.id for d in tx.documents.for_account(account().id)] == [
                d.id for d in reversed(docs)
            ]
            due = tx.documents.due_for_purge(NOW + timedelta(days=5), 10)
            assert [d.version for d in due] == [1, 3]  # the held version is never due
            assert sorted(tx.documents.storage_keys()) == sorted(d.storage_key for d in docs)
            docs[0].tombstone(NOW)
            tx.documents.save(docs[0])
            tx.commit()
        with uow() as tx:
            purged = tx.documents.get(docs[0].id)
            assert (
                purged is not None
                and purged.status is DocumentStatus.PURGED
                and purged.storage_key is None
            )

    def test_verification_with_documents_and_history(self, uow: UnitOfWorkFactory) -> None:
        self.test_documents_versions_and_purge_queries(uow)
        v = Verification(
            id="v" * 32,
            account_id=account().id,
            document_ids=(f"{2:032x}", f"{3:032x}"),
            submitted_at=NOW,
        )
        entry = ReviewEntry(
            id="e" * 32,
            verification_id=v.id,
            from_status=v.status,
            to_status=v.status,
            actor_id=account().id,
            at=NOW,
        )
        with uow() as tx:
            tx.verifications.add(v)
            tx.verifications.add_entry(entry)
            tx.commit()
        with uow() as tx:
            assert tx.verifications.get(v.id) == v
            assert tx.verifications.current(account().id) == v
            assert [q.id for q in tx.verifications.queue(10)] == [v.id]
            assert list(tx.verifications.history(v.id)) == [entry]

    def test_audit_is_append_only_and_read_newest_first(self, uow: UnitOfWorkFactory) -> None:
        add(uow, account())
        events = [
            AuditEvent(
                id=f"{i:032x}",
                occurred_at=NOW + timedelta(seconds=i),
                event=AuditEventType.LOGIN,
                account_id=account().id,
                ip="203.0.113.9",
                details={"n": str(i)},
            )
            for i in range(3)
        ]
        with uow() as tx:
            for e in events:
                tx.audit.append(e)
            tx.commit()
        with uow() as tx:
            assert list(tx.audit.for_account(account().id)) == list(reversed(events))
        assert not hasattr(type(tx.audit), "delete") and not hasattr(type(tx.audit), "update")


class TestDatabaseIdentity:
    def test_a_fresh_database_has_no_identity(self, uow: UnitOfWorkFactory) -> None:
        with uow() as tx:
            assert tx.identity.get() is None

    def test_the_first_claim_wins_and_is_kept(self, uow: UnitOfWorkFactory) -> None:
        with uow() as tx:
            first = tx.identity.claim("a" * 32)
            assert tx.identity.claim("b" * 32) == first
            tx.commit()
        with uow() as tx:
            assert tx.identity.get() == first
            assert tx.identity.claim("c" * 32) == first
        assert first.id == "a" * 32 and first.name

    def test_an_uncommitted_claim_is_rolled_back(self, uow: UnitOfWorkFactory) -> None:
        with uow() as tx:
            tx.identity.claim("a" * 32)
        with uow() as tx:
            assert tx.identity.get() is None


def test_contact_changes_replace_per_channel_and_discard(uow: UnitOfWorkFactory) -> None:
    add(uow, account(1))
    owner = account(1).id
    first = ContactChange(owner, Channel.EMAIL, "a@example.com", NOW, NOW + timedelta(minutes=10))
    with uow() as tx:
        tx.contact_changes.put(first)
        tx.contact_changes.put(attrs.evolve(first, new_value="b@example.com"))
        tx.contact_changes.put(attrs.evolve(first, channel=Channel.SMS, new_value="+447700900777"))
        tx.commit()
    with uow() as tx:
        email = tx.contact_changes.get(owner, Channel.EMAIL, for_update=True)
        assert email == attrs.evolve(first, new_value="b@example.com")
        tx.contact_changes.discard(owner, Channel.EMAIL)
        tx.commit()
    with uow() as tx:
        assert tx.contact_changes.get(owner, Channel.EMAIL) is None
        assert tx.contact_changes.get(owner, Channel.SMS) is not None
        tx.contact_changes.discard(owner)
        tx.commit()
    with uow() as tx:
        assert tx.contact_changes.get(owner, Channel.SMS) is None


def test_concurrent_locked_updates_do_not_lose_writes(
    uow: UnitOfWorkFactory, request: pytest.FixtureRequest
) -> None:
    """Two transactions verifying email and phone at once: both facts survive (row lock)."""
    add(uow, account())
    barrier = threading.Barrier(2)

    def prove(which: str) -> None:
        barrier.wait()
        with uow() as tx:
            a = tx.accounts.get(account().id, for_update=True)
            assert a is not None
            (a.verify_email if which == "email" else a.verify_phone)(NOW)
            tx.accounts.save(a)
            tx.commit()

    threads = [threading.Thread(target=prove, args=(w,)) for w in ("email", "phone")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with uow() as tx:
        final = tx.accounts.get(account().id)
    assert final is not None and final.email_verified and final.phone_verified


@pytest.mark.parametrize("backend", ["sqlite", "mariadb"])
def test_migrations_upgrade_downgrade_upgrade(backend: str, tmp_path: Path) -> None:
    """From empty to head, back to base, and up again, under Aiven's primary-key rule on MariaDB."""
    from sqlalchemy import inspect, text

    def cycle(url: str) -> None:
        engine = create_database_engine(url)
        if backend == "mariadb":
            # Aiven's rule, as .ci/services.sh sets it: prove it is on by failing a PK-less table.
            with engine.connect() as conn:
                conn.execute(text("SET GLOBAL innodb_force_primary_key=ON"))
            with engine.connect() as conn, pytest.raises(Exception, match="1173"):
                conn.execute(text("CREATE TABLE no_pk (x INT)"))
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        tables = set(inspect(engine).get_table_names())
        assert {"accounts", "sessions", "refresh_tokens", "documents", "audit_events"} <= tables
        migrate.downgrade(engine, "base")
        assert migrate.current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        engine.dispose()

    if backend == "sqlite":
        cycle(f"sqlite:///{tmp_path}/m.db")
    else:
        with scratch_mariadb_database() as url:
            cycle(url)
