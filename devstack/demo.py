"""The demo (``python -m devstack``), step by step; every step prints one line when it starts,
progress lines while it waits, and one line with its timing."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from devstack import project_root
from devstack.platform import (
    DEMO_TOKEN_NAME,
    DEMO_TOKEN_SCOPES,
    WORK_POOL,
    DemoConfig,
    check_ports,
    deploy_all,
    detail,
    start_buildium_sandbox,
    start_gmail_sandbox,
    start_grpc,
    start_prefect_server,
    start_sandbox,
    start_webhook_receiver,
    start_worker,
)
from devstack.prefect_api import FlowRunOutcome, PrefectApi
from devstack.processes import HOST, DevstackError, Supervisor
from devstack.summary import database_summary
from wonder.settings import Settings

# (flow name, deployment name) in the order the demo runs each once.
DEPLOYMENT_RUNS = (
    ("listings-first-load", "listings-first-load"),
    ("listings-incremental", "listings-incremental"),
    ("listings-census", "listings-census"),
    ("mail-sync", "mail-sync"),
    ("mail-watch-renewal", "mail-watch-renewal"),
    ("buildium-incremental", "buildium-incremental"),
    ("buildium-reconciliation", "buildium-reconciliation"),
)
SCHEDULED = ("listings-incremental", "listings-census", "mail-sync", "buildium-incremental")
# While the demo stays up, this much new mail reaches the Gmail sandbox every MAIL_EVERY_SECONDS
# (the scheduled mail-sync run brings it in).
NEW_MAIL = {"new_messages": 2, "replies": 1, "label_changes": 1}
MAIL_EVERY_SECONDS = 60
# ... and this much business happens in Buildium every BUILDIUM_EVERY_SECONDS: each change sends
# its signed webhook to the receiver, and the triggered webhooks-process run brings it in.
# ``seconds`` stays 0: the sandbox's clock must stay on the wall clock for the signatures.
BUILDIUM_CHANGES = {"seconds": 0, "payments": 3, "edits": 2, "new_leases": 1, "ended_leases": 1}
BUILDIUM_EVERY_SECONDS = 60
# What the sandbox changes after the first load, so the incremental run and the census have work:
# price and status changes (history), new photos, new listings, deletes (a 'Delete' status and
# vanished keys) and one record with a wrong type (quarantined, not crashing the run).
DEMO_CHANGES = {
    "seconds": 900,
    "price_changes": 8,
    "status_changes": 4,
    "media_changes": 3,
    "new_listings": 5,
    "removed_listings": 4,
    "bad_records": 1,
}


# The demo's steps, as it prints them ("[n/9] <title> ..."); README.md lists the same titles.
STEP_TITLES = (
    "Checking ports",
    "Migrating {database}",
    "Starting the sandboxes: Trestle on {trestle_url}, Gmail on {gmail_url},"
    " Buildium on {buildium_url}",
    "Starting the Prefect server on {prefect_ui_url}",
    f"Starting a process worker on work pool {WORK_POOL}",
    "Deploying prefect.yaml (prefect deploy --all)",
    "Starting the webhook receiver on {webhooks_url} (Buildium webhooks, Gmail push)",
    "Running each deployment once: listings first load, incremental, census; mail sync,"
    " watch renewal; Buildium incremental, reconciliation",
    "Starting the gRPC server on {grpc_address}",
)


def step_titles(config: DemoConfig) -> list[str]:
    """``STEP_TITLES`` with this demo's database, URLs and ports."""
    values = {
        "database": make_url(config.database_url).render_as_string(hide_password=True),
        "trestle_url": config.trestle_url,
        "gmail_url": config.gmail_url,
        "buildium_url": config.buildium_url,
        "webhooks_url": config.webhooks_url,
        "prefect_ui_url": config.prefect_ui_url,
        "grpc_address": f"{HOST}:{config.settings.grpc.port}",
    }
    return [title.format(**values) for title in STEP_TITLES]


class Progress:
    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        self.done += 1
        started = time.monotonic()
        print(f"[{self.done}/{self.total}] {title} ...", flush=True)
        try:
            yield
        except BaseException:
            print(f"      failed after {time.monotonic() - started:.1f} s", flush=True)
            raise
        print(f"      done in {time.monotonic() - started:.1f} s", flush=True)


def run_deployments(
    api: PrefectApi,
    config: DemoConfig,
    runs: Sequence[tuple[str, str]] = DEPLOYMENT_RUNS,
    before_run: Callable[[str], None] | None = None,
) -> list[FlowRunOutcome]:
    """Run each (flow, deployment) once, in order; raise on the first run that fails.

    ``before_run(deployment_name)`` is called before each run is submitted.
    """
    ids = {name: api.deployment_id(flow, name) for flow, name in DEPLOYMENT_RUNS}
    # Hold the schedules meanwhile so a scheduled run cannot race the demo's own runs.
    for name in SCHEDULED:
        api.set_paused(ids[name], True)
    outcomes = []
    try:
        for _flow, name in runs:
            if before_run is not None:
                before_run(name)
            started = time.monotonic()
            outcome = api.wait_for_flow_run(
                api.run_deployment(ids[name]), timeout=config.run_timeout, progress=detail
            )
            link = f"{config.prefect_ui_url}/runs/flow-run/{outcome.id}"
            if not outcome.succeeded:
                raise DevstackError(
                    f"deployment {name}: flow run {outcome.name} ended {outcome.state_name}"
                    f" ({outcome.message or 'no message'}); see {link} and {config.logs}/worker.log"
                )
            seconds = time.monotonic() - started
            detail(f"{name}: {outcome.state_name} in {seconds:.1f} s  {link}")
            outcomes.append(outcome)
    finally:
        for name in SCHEDULED:
            api.set_paused(ids[name], False)
    return outcomes


def change_sandbox_before_incremental(config: DemoConfig) -> Callable[[str], None]:
    """Move the sandbox's data on (``DEMO_CHANGES``) right before the incremental run."""

    def before_run(deployment: str) -> None:
        if deployment != "listings-incremental":
            return
        response = httpx.post(f"{config.trestle_url}/_sandbox/advance", json=DEMO_CHANGES)
        response.raise_for_status()
        changes = ", ".join(
            f"{count} {kind.replace('_', ' ')}"
            for kind, count in DEMO_CHANGES.items()
            if kind != "seconds"
        )
        detail(f"sandbox moved 15 minutes on: {changes}")

    return before_run


def buf_command(root: Path) -> str:
    """How to run buf from any directory: the checkout's pinned one (`make demo` installs it
    when npm is there) by its absolute path, else npx (which fetches it)."""
    local = root.resolve() / "node_modules" / ".bin" / "buf"
    return shlex.quote(str(local)) if local.exists() else "npx --yes @bufbuild/buf"


# A first filtered query: homes for sale (leases' list_price is a monthly rent).
EXAMPLE_FILTER = 'transaction_type = SALE AND standard_status = "Active" AND list_price <= 750000'


# The leases owing for a month or more, most owed first.
DELINQUENT = json.dumps(
    {
        "scope": "BALANCE_SCOPE_LEASE",
        "filter": "days_delinquent >= 30",
        "order_by": "outstanding desc",
        "page_size": 3,
    },
    separators=(",", ":"),
)


def print_grpc_examples(config: DemoConfig, token: str, listing_key: str | None) -> None:
    port = config.settings.grpc.port
    address = f"http://{HOST}:{port}/wonder.v1.ListingService"
    curl = f"{buf_command(config.root)} curl --protocol grpc --http2-prior-knowledge"
    auth = f"-H 'authorization: Bearer {token}'"
    name = f"listings/{listing_key or 'LISTING_KEY'}"
    query = json.dumps(
        {"filter": EXAMPLE_FILTER, "order_by": "list_price desc", "page_size": 3},
        separators=(",", ":"),
    )
    print(
        f"\ngRPC API on {HOST}:{port} (health and reflection need no token)\n"
        f"  API token {DEMO_TOKEN_NAME!r} ({DEMO_TOKEN_SCOPES}; the next demo replaces it),"
        f" shown once: {token}\n"
        "  Try (from any directory):\n"
        f"    {curl} {auth} --data {shlex.quote(json.dumps({'name': name}))} {address}/GetListing\n"
        f"    {curl} {auth} --data {shlex.quote(query)} {address}/ListListings\n"
        f'    {curl} {auth} --data \'{{"name":"balanceSheet"}}\''
        f" http://{HOST}:{port}/wonder.v1.SyncService/GetBalanceSheet\n"
        f"    {curl} {auth} --data {shlex.quote(DELINQUENT)}"
        f" http://{HOST}:{port}/wonder.v1.SyncService/ListBalanceSheetRows\n"
        f'    {curl} {auth} --data \'{{"name":"syncState"}}\''
        f" http://{HOST}:{port}/wonder.v1.SyncService/GetSyncState\n"
        f"    {curl} {auth} --data '{{\"page_size\":3}}'"
        f" http://{HOST}:{port}/wonder.v1.MessageService/ListMessages\n"
        f"    {curl} --list-methods http://{HOST}:{port}\n"
        "  A filter naming a wrong value is INVALID_ARGUMENT with the valid ones, e.g."
        ' standard_status = "Bogus".\n'
    )


def print_summary(config: DemoConfig) -> str | None:
    summary = database_summary(config.database_url)
    print("\nIngested into", make_url(config.database_url).render_as_string(hide_password=True))
    for line in summary.lines():
        print(f"  {line}")
    return summary.first_key


def print_prefect_guide(config: DemoConfig) -> None:
    ui = config.prefect_ui_url
    print(
        f"\nPrefect UI: {ui}\n"
        f"  deployments: {ui}/deployments  (listings-incremental every 15 min,"
        " listings-census daily, listings-first-load by hand, mail-sync every 5 min,"
        " mail-watch-renewal daily, buildium-incremental every 3 min,"
        " buildium-reconciliation nightly, webhooks-process on each stored webhook,"
        " webhooks-drain every minute)\n"
        f"  flow runs:   {ui}/runs  (each run's logs: one line per committed page; a"
        " webhooks-process run appears seconds after each Buildium change or Gmail push)\n"
        f"  artifacts:   {ui}/artifacts  (listings-*-report, mail-sync-report,"
        " buildium-*-report and -reconciliation, webhooks-process-report: counts,"
        " requests, quota, mismatches)\n"
        f"  automations: {ui}/automations  (the trigger that runs webhooks-process)\n"
        f"  logs of the processes the demo started: {config.logs}\n"
    )


def run_demo(config: DemoConfig) -> None:
    titles = iter(step_titles(config))
    progress = Progress(total=len(STEP_TITLES))
    env = config.env()
    with Supervisor(config.logs) as supervisor:
        with progress.step(next(titles)):
            check_ports(config, with_grpc=True)
        with progress.step(next(titles)):
            from wonder.db.migrate import upgrade

            upgrade(config.database_url)
        with progress.step(next(titles)):
            start_sandbox(config, supervisor, env)
            start_gmail_sandbox(config, supervisor, env)
            start_buildium_sandbox(config, supervisor, env)
        with progress.step(next(titles)):
            start_prefect_server(config, supervisor, env)
        with progress.step(next(titles)):
            worker = start_worker(config, supervisor, env)
        with progress.step(next(titles)):
            deploy_all(config, env)
        with progress.step(next(titles)):
            start_webhook_receiver(config, supervisor, env)
        with progress.step(next(titles)), PrefectApi(config.prefect_api_url) as api:
            run_deployments(api, config, before_run=change_sandbox_before_incremental(config))
        listing_key = print_summary(config)
        with progress.step(next(titles)):
            token = start_grpc(config, supervisor, env)
        print_grpc_examples(config, token, listing_key)
        print_prefect_guide(config)
        print("Everything is up. Press Ctrl-C to stop it all.", flush=True)
        next_mail = time.monotonic() + MAIL_EVERY_SECONDS
        next_buildium = time.monotonic() + BUILDIUM_EVERY_SECONDS
        while True:
            if time.monotonic() >= next_mail:
                deliver_new_mail(config)
                next_mail = time.monotonic() + MAIL_EVERY_SECONDS
            if time.monotonic() >= next_buildium:
                move_buildium_on(config)
                next_buildium = time.monotonic() + BUILDIUM_EVERY_SECONDS
            supervisor.check_running()
            if not worker.running():
                raise DevstackError(f"the Prefect worker stopped; see {config.logs}/worker.log")
            time.sleep(1)


def advance_sandbox(url: str, changes: Mapping[str, int], what: str) -> dict[str, Any] | None:
    """``POST <sandbox>/_sandbox/advance``; its answer, or None (reported, not fatal: the demo
    stays up when one sandbox does not answer once)."""
    try:
        answer = httpx.post(f"{url}/_sandbox/advance", json=dict(changes), timeout=10)
        answer.raise_for_status()
    except httpx.HTTPError as error:
        print(f"      could not {what}: {error}", flush=True)
        return None
    done: dict[str, Any] = answer.json()
    return done


def deliver_new_mail(config: DemoConfig) -> None:
    """Some new mail in the Gmail sandbox."""
    if advance_sandbox(config.gmail_url, NEW_MAIL, "add mail to the Gmail sandbox") is None:
        return
    added = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in NEW_MAIL.items())
    print(f"{time.strftime('%H:%M:%S')} Gmail: {added} (pushed to the receiver)", flush=True)


def move_buildium_on(config: DemoConfig) -> None:
    """Some business in the Buildium sandbox: payments, edits, a move-in and a move-out."""
    done = advance_sandbox(config.buildium_url, BUILDIUM_CHANGES, "move the Buildium sandbox on")
    if done is None:
        return
    edits = sum(done.get("edits", {}).values())
    print(
        f"{time.strftime('%H:%M:%S')} Buildium: {done.get('transactions', 0)} transactions,"
        f" {edits} edits, {len(done.get('new_leases', []))} move-ins,"
        f" {len(done.get('ended_leases', []))} move-outs -> {done.get('events', 0)} signed"
        " webhooks (the balance sheet follows within seconds)",
        flush=True,
    )


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def parse_args(argv: Sequence[str] | None, settings: Settings) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devstack",
        description="The whole platform on this machine against the sandboxes (`make demo`):"
        " Trestle, Gmail and Buildium sandboxes, Prefect server and worker, the webhook"
        " receiver, every deployment run once, gRPC API."
        " Ctrl-C stops everything it started.",
    )
    parser.add_argument(
        "--prefect-port", type=int, default=4200, help="Prefect server and UI (default 4200)"
    )
    ports = (
        ("--grpc-port", settings.grpc.port, "gRPC API", "WONDER_GRPC__PORT"),
        ("--sandbox-port", settings.sandbox.trestle.port, "Trestle sandbox",
         "WONDER_SANDBOX__TRESTLE__PORT"),
        ("--buildium-port", settings.sandbox.buildium.port, "Buildium sandbox",
         "WONDER_SANDBOX__BUILDIUM__PORT"),
        ("--webhooks-port", settings.webhooks.port, "webhook receiver", "WONDER_WEBHOOKS__PORT"),
        ("--gmail-port", settings.sandbox.gmail.port, "Gmail sandbox",
         "WONDER_SANDBOX__GMAIL__PORT"),
    )  # fmt: skip
    for flag, default, what, variable in ports:
        parser.add_argument(
            flag, type=int, default=default, help=f"{what} (default {variable} or {default})"
        )
    return parser.parse_args(argv)


def demo_settings(settings: Settings, args: argparse.Namespace) -> Settings:
    """``settings`` with the ports the options chose."""
    sandbox = settings.sandbox
    return settings.model_copy(
        update={
            "grpc": settings.grpc.model_copy(update={"port": args.grpc_port}),
            "webhooks": settings.webhooks.model_copy(update={"port": args.webhooks_port}),
            "sandbox": sandbox.model_copy(
                update={
                    "trestle": sandbox.trestle.model_copy(update={"port": args.sandbox_port}),
                    "gmail": sandbox.gmail.model_copy(update={"port": args.gmail_port}),
                    "buildium": sandbox.buildium.model_copy(update={"port": args.buildium_port}),
                }
            ),
        }
    )


def main(argv: Sequence[str] | None = None) -> int:
    root = project_root()
    os.chdir(root)
    settings = Settings()
    args = parse_args(argv, settings)
    settings = demo_settings(settings, args)
    signal.signal(signal.SIGTERM, _terminate)
    # Started in the background by a non-interactive shell, SIGINT arrives ignored: restore it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    config = DemoConfig(root=root, settings=settings, prefect_port=args.prefect_port)
    print(f"Wonder Street demo in {root} (logs in {config.logs})", flush=True)
    try:
        run_demo(config)
    except KeyboardInterrupt:
        print("\nStopped: every process the demo started is stopped.", flush=True)
        return 0
    except DevstackError as exc:
        print(f"\ndemo failed: {exc}", file=sys.stderr, flush=True)
        print("Every process the demo started is stopped.", file=sys.stderr, flush=True)
        return 1
    return 0
