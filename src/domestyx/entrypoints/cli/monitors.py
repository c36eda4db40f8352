"""`domestyx monitors sync`: uptime monitors and heartbeats on Better Stack, from configuration."""

from __future__ import annotations

from domestyx.adapters.betterstack.monitors import HeartbeatSpec, MonitorSpec, Spec
from domestyx.entrypoints.cli.failures import CliError
from domestyx.entrypoints.settings import Settings

# How often each scheduled check must ping, and how late it may be before Better Stack alerts.
HEARTBEATS = {
    "worker": (60, 120),  # the worker enqueues a heartbeat job every minute
    "purge": (86_400, 3_600),  # daily cron
    "backup": (86_400, 7_200),  # daily cron (create + verify)
    "reconcile": (86_400, 3_600),  # daily cron
}


def desired(settings: Settings) -> list[Spec]:
    """The monitors and heartbeats DomestyX needs, named stably so re-runs find them."""
    base, every = settings.http.base_url, settings.observability.monitor_check_frequency_s
    regions = tuple(settings.observability.monitor_regions)
    specs: list[Spec] = [
        MonitorSpec(
            "DomestyX API ready", f"{base}/health/ready", check_frequency=every, regions=regions
        ),
        MonitorSpec(
            "DomestyX API live", f"{base}/health/live", check_frequency=every, regions=regions
        ),
    ]
    specs += [
        HeartbeatSpec(f"DomestyX {name}", period=period, grace=grace)
        for name, (period, grace) in HEARTBEATS.items()
    ]
    return specs


def sync_monitors(settings: Settings, *, dry_run: bool) -> int:
    """Plan, print, and (unless dry-run) apply; prints the heartbeat URLs to configure."""
    from domestyx.adapters.betterstack.monitors import BetterStackClient, apply, plan

    if not settings.observability.betterstack_api_token:
        raise CliError("BETTERSTACK_API_TOKEN is required for monitors sync", code=2)
    client = BetterStackClient(
        settings.observability.betterstack_api_token,
        base_url=settings.observability.betterstack_api_url,
    )
    try:
        changes = plan(desired(settings), client.existing())
        for change in changes:
            print(("would " if dry_run else "") + str(change))
        if dry_run:
            return 0
        urls = apply(client, changes)
    finally:
        client.close()
    for name, url in sorted(urls.items()):
        env_name = "HEARTBEAT_URL_" + name.removeprefix("DomestyX ").upper()
        print(f"{env_name}={url}")
    return 0
