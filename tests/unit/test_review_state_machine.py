"""Random sequences of uploads, submissions, claims and decisions never leave the review graph."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domestyx.domain.model.accounts import IdentityStatus, Role
from domestyx.domain.model.documents import DocumentKind
from domestyx.domain.model.errors import Conflict, Forbidden, InvalidInput, NotFound
from domestyx.domain.model.verification import TRANSITIONS, Decision, ReasonCode
from tests.unit.document_world import CTX, World

KINDS = st.sampled_from(
    [DocumentKind.ID_CARD, DocumentKind.PASSPORT, DocumentKind.POLICE_CLEARANCE]
)
# Conflict covers IllegalTransition; these are the refusals a random sequence may meet.
EXPECTED = (Conflict, Forbidden, InvalidInput, NotFound)


class ReviewMachine(RuleBasedStateMachine):
    """One worker, two reviewers and an admin acting in any order."""

    def __init__(self) -> None:
        super().__init__()
        self.world = World()
        # The machine uploads far more often than a person: the hourly upload limit (applied
        # inside the use case) is not what this model is about, so it is raised out of the way.
        self.world.services = self.world.rebuild(RATE_LIMITS="upload.account=3000/1h")
        self.worker = self.world.account(Role.WORKER)
        # Start with a complete file so short sequences already reach the reviewers.
        self.world.upload(self.worker, DocumentKind.PASSPORT)
        self.world.upload(self.worker, DocumentKind.POLICE_CLEARANCE)
        self.staff = [
            self.world.account(Role.REVIEWER),
            self.world.account(Role.REVIEWER),
            self.world.account(Role.ADMIN),
        ]
        self.approved = False

    def _tick(self) -> None:
        self.world.clock.advance(1)

    def _current_id(self) -> str | None:
        current = self.world.reviews().status(self.worker)
        return current.id if current else None

    @rule(kind=KINDS)
    def upload(self, kind: DocumentKind) -> None:
        self._tick()
        with contextlib.suppress(*EXPECTED):
            self.world.upload(self.worker, kind)

    @rule(kind=KINDS)
    def delete_newest(self, kind: DocumentKind) -> None:
        self._tick()
        mine = [d for d in self.world.documents().list(self.worker) if d.kind is kind]
        if mine:
            with contextlib.suppress(*EXPECTED):
                self.world.documents().delete(self.worker, mine[0].id, CTX)

    @rule()
    def submit(self) -> None:
        self._tick()
        with contextlib.suppress(*EXPECTED):
            self.world.reviews().submit(self.worker, CTX)

    @rule(who=st.integers(0, 2))
    def claim(self, who: int) -> None:
        self._tick()
        current = self._current_id()
        if current is not None:
            with contextlib.suppress(*EXPECTED):
                self.world.reviews().claim(self.staff[who], current, CTX)

    @rule(
        who=st.integers(0, 2),
        decision=st.sampled_from(Decision),
        reason=st.sampled_from(ReasonCode) | st.none(),
    )
    def decide(self, who: int, decision: Decision, reason: ReasonCode | None) -> None:
        self._tick()
        current = self._current_id()
        if current is not None:
            with contextlib.suppress(*EXPECTED):
                self.world.reviews().decide(self.staff[who], current, decision, reason, None, CTX)

    @invariant()
    def history_follows_the_graph(self) -> None:
        previous = IdentityStatus.NOT_STARTED
        for entry in self.world.db.state.entries:
            assert entry.from_status is previous
            assert entry.to_status in TRANSITIONS[entry.from_status]
            previous = entry.to_status

    @invariant()
    def the_account_mirrors_the_newest_verification(self) -> None:
        current = self.world.reviews().status(self.worker)
        status = self.world.account_row(self.worker.account_id).identity_status
        assert status is (current.status if current else IdentityStatus.NOT_STARTED)

    @invariant()
    def approval_is_final(self) -> None:
        status = self.world.account_row(self.worker.account_id).identity_status
        if self.approved:
            assert status is IdentityStatus.APPROVED
        self.approved = status is IdentityStatus.APPROVED


ReviewMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestReviewMachine = ReviewMachine.TestCase
