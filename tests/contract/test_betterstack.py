"""Better Stack adapters against a loopback stub: idempotent monitor sync and heartbeat pings."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import attrs
import pytest

from domestyx.adapters.betterstack.heartbeat import MAX_DETAIL, HttpHeartbeat
from domestyx.adapters.betterstack.monitors import (
    BetterStackClient,
    BetterStackError,
    HeartbeatSpec,
    MonitorSpec,
    Spec,
    apply,
    plan,
)
from domestyx.ports.monitoring import Heartbeat
from tests.stubs.betterstack_stub import BetterStackStub, Ping
from tests.support.services import free_port

TOKEN = "bs-team-token"
DESIRED: list[Spec] = [
    MonitorSpec("web ready", "https://app.domestyx.test/health/ready", check_frequency=60),
    MonitorSpec("web live", "https://app.domestyx.test/health/live", regions=("eu", "us")),
    MonitorSpec(
        "landing",
        "https://domestyx.test/",
        monitor_type="keyword",
        required_keyword="DomestyX",
        expected_status_codes=(200, 301),
    ),
    HeartbeatSpec("backup-verify", period=86400, grace=3600),
    HeartbeatSpec("purge", period=3600, grace=600),
    HeartbeatSpec("worker", period=60, grace=30),
]
HEARTBEATS = {"backup-verify", "purge", "worker"}


@pytest.fixture
def stub() -> Iterator[BetterStackStub]:
    """Two items per page, so three monitors already need pagination."""
    with BetterStackStub(TOKEN, page_size=2) as server:
        yield server


@pytest.fixture
def client(stub: BetterStackStub) -> Iterator[BetterStackClient]:
    """An API client pointed at the stub."""
    api = BetterStackClient(TOKEN, base_url=stub.base_url, timeout_s=5)
    yield api
    api.close()


def _sync(client: BetterStackClient, desired: list[Spec] = DESIRED) -> dict[str, str]:
    return apply(client, plan(desired, client.existing()))


class TestMonitorSync:
    """plan + apply converge and then stay quiet."""

    def test_first_sync_creates_everything(
        self, client: BetterStackClient, stub: BetterStackStub
    ) -> None:
        changes = plan(DESIRED, client.existing())
        assert {c.action for c in changes} == {"create"}
        urls = apply(client, changes)
        assert set(urls) == HEARTBEATS
        assert urls["purge"] == stub.heartbeat_url("purge")
        names = {a["pronounceable_name"] for a in stub.resources["monitors"].values()}
        assert names == {"web ready", "web live", "landing"}
        (landing,) = [a for a in stub.resources["monitors"].values() if a["url"].endswith("st/")]
        assert (landing["required_keyword"], landing["expected_status_codes"]) == (
            "DomestyX",
            [200, 301],
        )

    def test_second_sync_changes_nothing(
        self, client: BetterStackClient, stub: BetterStackStub
    ) -> None:
        first = _sync(client)
        writes = len(stub.writes)
        changes = plan(DESIRED, client.existing())
        assert {c.action for c in changes} == {"unchanged"}
        assert apply(client, changes) == first
        assert len(stub.writes) == writes

    def test_listing_follows_pagination(
        self, client: BetterStackClient, stub: BetterStackStub
    ) -> None:
        _sync(client)
        stub.requests.clear()
        assert len(client.existing()) == 6
        assert stub.requests.count(("GET", "/api/v2/monitors")) == 2

    def test_changed_frequency_updates_exactly_that_monitor(
        self, client: BetterStackClient, stub: BetterStackStub
    ) -> None:
        _sync(client)
        web = DESIRED[0]
        assert isinstance(web, MonitorSpec)
        changed = [attrs.evolve(web, check_frequency=30), *DESIRED[1:]]
        before = len(stub.writes)
        changes = [c for c in plan(changed, client.existing()) if c.action != "unchanged"]
        assert [(c.action, c.name, dict(c.attributes)) for c in changes] == [
            ("update", "web ready", {"check_frequency": 30})
        ]
        apply(client, changes)
        assert stub.writes[before:] == [("PATCH", f"/api/v2/monitors/{changes[0].resource_id}")]
        assert stub.resources["monitors"][str(changes[0].resource_id)]["check_frequency"] == 30

    def test_undeclared_resources_are_left_alone(
        self, client: BetterStackClient, stub: BetterStackStub
    ) -> None:
        client.create("monitor", {"url": "https://status.domestyx.test", "pronounceable_name": "x"})
        changes = plan(DESIRED, client.existing())
        assert "x" not in {c.name for c in changes}
        apply(client, changes)
        assert len(stub.resources["monitors"]) == 4

    def test_two_live_monitors_with_one_name_are_refused(self, client: BetterStackClient) -> None:
        for _ in range(2):
            client.create("monitor", {"url": "https://a.test", "pronounceable_name": "web ready"})
        with pytest.raises(BetterStackError, match="web ready"):
            plan(DESIRED, client.existing())

    def test_a_spec_declared_twice_is_refused(self) -> None:
        with pytest.raises(ValueError, match="purge"):
            plan([HeartbeatSpec("purge", 60, 0), HeartbeatSpec("purge", 120, 0)], [])

    def test_heartbeat_period_below_the_api_minimum_is_refused(self) -> None:
        with pytest.raises(ValueError, match="period"):
            HeartbeatSpec("fast", period=10, grace=0)

    def test_validation_errors_name_the_field(self, client: BetterStackClient) -> None:
        with pytest.raises(BetterStackError, match="url") as caught:
            _sync(client, [MonitorSpec("broken", "")])
        assert caught.value.status == 422

    def test_wrong_token_is_refused_without_echoing_it(self, stub: BetterStackStub) -> None:
        api = BetterStackClient("wrong-token", base_url=stub.base_url)
        with pytest.raises(BetterStackError) as caught:
            api.existing()
        api.close()
        assert caught.value.status == 401
        assert "wrong-token" not in str(caught.value)

    def test_unreachable_api_is_a_sync_error(self) -> None:
        api = BetterStackClient(TOKEN, base_url=f"http://127.0.0.1:{free_port()}/api/v2")
        with pytest.raises(BetterStackError, match="ConnectError"):
            api.existing()
        api.close()


class TestHttpHeartbeat:
    """Pings reach the heartbeat URLs; nothing a ping does can break the job."""

    @pytest.fixture
    def urls(self, client: BetterStackClient) -> dict[str, str]:
        """Heartbeats as the sync created them."""
        return _sync(client)

    def test_satisfies_the_port(self) -> None:
        assert isinstance(HttpHeartbeat({}), Heartbeat)

    def test_ping_and_fail_reach_the_stub(
        self, urls: dict[str, str], stub: BetterStackStub
    ) -> None:
        heartbeat = HttpHeartbeat(urls)
        heartbeat.ping("purge")
        detail = "  purge failed: password=hunter2 for maria@example.org +447700900123 "
        heartbeat.fail("purge", detail)
        heartbeat.close()
        token = urls["purge"].rsplit("/", 1)[1]
        assert stub.pings == [
            Ping(token, failed=False, method="GET", body=""),
            Ping(token, True, "POST", "purge failed: password=[redacted] for [email] [phone]"),
        ]

    def test_long_detail_is_trimmed(self, urls: dict[str, str], stub: BetterStackStub) -> None:
        heartbeat = HttpHeartbeat(urls)
        heartbeat.fail("worker", "x" * 10_000)
        heartbeat.close()
        assert len(stub.pings[0].body) == MAX_DETAIL

    def test_unknown_check_is_ignored_with_a_warning(
        self, urls: dict[str, str], stub: BetterStackStub, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.WARNING):
            HttpHeartbeat(urls).ping("nightly-report")
        assert stub.pings == []
        assert "unknown check" in caplog.text

    def test_dead_url_does_not_raise(self, caplog: pytest.LogCaptureFixture) -> None:
        dead = f"http://127.0.0.1:{free_port()}/api/v1/heartbeat/abc123"
        heartbeat = HttpHeartbeat({"purge": dead}, timeout_s=1)
        with caplog.at_level(logging.WARNING):
            heartbeat.ping("purge")
            heartbeat.fail("purge", "boom")
        assert [r.getMessage() for r in caplog.records] == ["heartbeat not delivered"] * 2
        assert "abc123" not in caplog.text

    def test_refused_ping_is_logged_not_raised(
        self, stub: BetterStackStub, caplog: pytest.LogCaptureFixture
    ) -> None:
        heartbeat = HttpHeartbeat({"purge": f"{stub.origin}/api/v1/heartbeat/revoked"})
        with caplog.at_level(logging.WARNING):
            heartbeat.ping("purge")
        assert [r.getMessage() for r in caplog.records] == ["heartbeat refused"]
