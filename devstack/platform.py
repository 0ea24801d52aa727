"""Starting each piece of the local platform: sandbox, Prefect server, worker, deployments, gRPC.

Shared by the demo and the end-to-end tests; every process goes through a ``Supervisor`` so
it is stopped with the rest. Waits print a progress line now and then through ``detail``.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from prefect.workers.process import ProcessWorker
from sqlalchemy.engine import make_url

from devstack.prefect_api import PrefectApi
from devstack.processes import (
    HOST,
    DevstackError,
    ManagedProcess,
    Supervisor,
    check_ports_free,
    run,
    wait_until,
)
from wonder.sandbox.gmail.config import GmailSandboxConfig
from wonder.settings import Settings

WORK_POOL = "wonder-process"
# The demo's API token: one name, replaced on every start, so exactly one demo token is active.
DEMO_TOKEN_NAME = "demo"  # noqa: S105 (a name, not a secret)
# Read access to every service the demo fills (listings, the Buildium sync, mail).
DEMO_TOKEN_SCOPES = "listings:read,sync:read,messages:read"  # noqa: S105
# The service account the Gmail sandbox signs its push tokens as (the receiver checks it).
GMAIL_PUSH_ACCOUNT = GmailSandboxConfig.model_fields["push_service_account"].default
TOKEN_PATTERN = re.compile(r"\bws_[A-Za-z0-9_\-]{20,}")


@dataclass(frozen=True)
class DemoConfig:
    root: Path
    settings: Settings
    prefect_port: int = 4200
    var_dir: Path | None = None
    sandbox_profile: str = "realistic"
    run_timeout: float = 600.0

    @property
    def var(self) -> Path:
        return self.var_dir or self.root / "var"

    @property
    def logs(self) -> Path:
        return self.var / "demo" / "logs"

    @property
    def database_url(self) -> str:
        """The configured database; the default relative SQLite path made absolute."""
        url = make_url(self.settings.database_url)
        database = url.database
        if url.get_backend_name() == "sqlite" and database and not Path(database).is_absolute():
            url = url.set(database=str(self.root / database))
        return url.render_as_string(hide_password=False)

    @property
    def trestle_url(self) -> str:
        return f"http://{HOST}:{self.settings.sandbox.trestle.port}"

    @property
    def gmail_url(self) -> str:
        return f"http://{HOST}:{self.settings.sandbox.gmail.port}"

    @property
    def buildium_url(self) -> str:
        return f"http://{HOST}:{self.settings.sandbox.buildium.port}"

    @property
    def webhooks_url(self) -> str:
        return f"http://{HOST}:{self.settings.webhooks.port}"

    @property
    def gmail_push_audience(self) -> str:
        """What the receiver expects in a Gmail push token's ``aud`` (its own push URL)."""
        return f"{self.webhooks_url}/webhooks/gmail"

    @property
    def prefect_api_url(self) -> str:
        return f"http://{HOST}:{self.prefect_port}/api"

    @property
    def prefect_ui_url(self) -> str:
        return f"http://{HOST}:{self.prefect_port}"

    def env(self) -> dict[str, str]:
        """Environment of every child: Prefect kept under var/, WONDER_* pointing at the demo."""
        env = dict(os.environ)
        env.update(
            {
                "PREFECT_HOME": str(self.var / "prefect"),
                "PREFECT_API_URL": self.prefect_api_url,
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_CLI_PROMPT": "false",
                "PREFECT_WORKER_QUERY_SECONDS": "2",
                "WONDER_DATABASE_URL": self.database_url,
                "WONDER_TRESTLE__BASE_URL": self.trestle_url,
                "WONDER_GMAIL__BASE_URL": self.gmail_url,
                "WONDER_BUILDIUM__BASE_URL": self.buildium_url,
                # The receiver verifies what the sandboxes send: Buildium's HMAC with the
                # sandbox's webhook secret, Gmail's push JWT against the Gmail sandbox's certs.
                "WONDER_WEBHOOKS__HOST": HOST,
                "WONDER_WEBHOOKS__PORT": str(self.settings.webhooks.port),
                "WONDER_WEBHOOKS__BUILDIUM_SECRET": (
                    self.settings.sandbox.buildium.webhook_secret.get_secret_value()
                ),
                "WONDER_WEBHOOKS__GMAIL_AUDIENCE": self.gmail_push_audience,
                "WONDER_WEBHOOKS__GMAIL_PUSH_SERVICE_ACCOUNT": GMAIL_PUSH_ACCOUNT,
                "WONDER_WEBHOOKS__GMAIL_CERTS_URL": f"{self.gmail_url}/oauth2/v1/certs",
                "WONDER_GRPC__HOST": HOST,
                "WONDER_GRPC__PORT": str(self.settings.grpc.port),
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env


def detail(line: str) -> None:
    """A progress line under the current step."""
    print(f"      {line}", flush=True)


def command(name: str) -> str:
    """A console script of this virtualenv (prefect, wonder), whatever PATH says."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code < 500
    except httpx.HTTPError:
        return False


def run_cli(
    argv: list[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    timeout: float,
    secret_stdout: bool = False,
) -> str:
    """Run a short command to completion; its output goes to ``log``; fail loudly on non-zero.

    ``secret_stdout``: the standard output holds a secret (a token) and stays out of the log.
    """
    result = run(argv, env=env, cwd=cwd, timeout=timeout)
    log.parent.mkdir(parents=True, exist_ok=True)
    stdout = "(standard output withheld: it holds a secret)\n" if secret_stdout else result.stdout
    log.write_text(stdout + result.stderr)
    if result.returncode != 0:
        tail = "\n".join((stdout + result.stderr).splitlines()[-20:])
        raise DevstackError(
            f"`{shlex.join(argv[:4])} ...` exited with {result.returncode}:\n{tail}"
        )
    return result.stdout


def check_ports(config: DemoConfig, with_grpc: bool) -> None:
    wanted = {
        config.settings.sandbox.trestle.port: "the Trestle sandbox",
        config.settings.sandbox.gmail.port: "the Gmail sandbox",
        config.settings.sandbox.buildium.port: "the Buildium sandbox",
        config.settings.webhooks.port: "the webhook receiver",
        config.prefect_port: "the Prefect server",
    }
    if with_grpc:
        wanted[config.settings.grpc.port] = "the gRPC server"
    check_ports_free(
        HOST,
        wanted,
        "Another demo may still be running: stop whatever listens there and retry, or choose"
        " other ports (python -m devstack --help).",
    )


def start_sandbox(
    config: DemoConfig, supervisor: Supervisor, env: Mapping[str, str]
) -> ManagedProcess:
    sandbox = config.settings.sandbox
    process = supervisor.start(
        "sandbox",
        [
            *(command("wonder"), "sandbox", "trestle", "--host", HOST),
            *("--port", str(sandbox.trestle.port), "--listings", str(sandbox.trestle.listings)),
            *("--seed", str(sandbox.trestle.seed), "--profile", config.sandbox_profile),
        ],
        env=env,
        cwd=config.root,
    )
    service_root = f"{config.trestle_url}{config.settings.trestle.odata_path}"
    wait_until(
        "the sandbox to answer",
        lambda: process.listens_on(sandbox.trestle.port) and http_ok(service_root),
        timeout=60,
        process=process,
        progress=detail,
    )
    return process


def start_gmail_sandbox(
    config: DemoConfig, supervisor: Supervisor, env: Mapping[str, str]
) -> ManagedProcess:
    """The Gmail emulator, its leads naming the Trestle sandbox's listings (same seed, size)."""
    gmail = config.settings.sandbox.gmail
    process = supervisor.start(
        "gmail-sandbox",
        [
            *(command("wonder"), "sandbox", "gmail", "--host", HOST, "--port", str(gmail.port)),
            *("--messages", str(gmail.messages_per_mailbox), "--seed", str(gmail.seed)),
            *("--profile", config.sandbox_profile, "--regime", gmail.regime),
        ],
        env=env,
        cwd=config.root,
    )
    wait_until(
        "the Gmail sandbox to answer",
        lambda: process.listens_on(gmail.port) and http_ok(f"{config.gmail_url}/_sandbox/stats"),
        timeout=60,
        process=process,
        progress=detail,
    )
    return process


def start_buildium_sandbox(
    config: DemoConfig, supervisor: Supervisor, env: Mapping[str, str]
) -> ManagedProcess:
    """The Buildium emulator (a seeded portfolio; its clock follows the wall clock, so the
    webhooks' signed timestamps pass the receiver's ±300 s window)."""
    buildium = config.settings.sandbox.buildium
    process = supervisor.start(
        "buildium-sandbox",
        [
            *(command("wonder"), "sandbox", "buildium", "--host", HOST),
            *("--port", str(buildium.port), "--seed", str(buildium.seed)),
            *("--properties", str(buildium.properties), "--units", str(buildium.units)),
            *("--leases", str(buildium.leases), "--profile", config.sandbox_profile),
        ],
        env=env,
        cwd=config.root,
    )
    wait_until(
        "the Buildium sandbox to answer",
        lambda: (
            process.listens_on(buildium.port) and http_ok(f"{config.buildium_url}/_sandbox/stats")
        ),
        timeout=60,
        process=process,
        progress=detail,
    )
    return process


def start_webhook_receiver(
    config: DemoConfig, supervisor: Supervisor, env: Mapping[str, str]
) -> ManagedProcess:
    """`wonder webhooks serve`, then both sandboxes pointed at it: Buildium's signed events and
    Gmail's Pub/Sub-style pushes (each stored event becomes a Prefect event that triggers the
    webhooks-process deployment)."""
    port = config.settings.webhooks.port
    process = supervisor.start(
        "webhooks", [command("wonder"), "webhooks", "serve"], env=env, cwd=config.root
    )
    wait_until(
        f"the webhook receiver on {HOST}:{port}",
        lambda: process.listens_on(port),
        timeout=60,
        process=process,
        progress=detail,
    )
    secret = config.settings.sandbox.buildium.webhook_secret.get_secret_value()
    buildium = httpx.post(
        f"{config.buildium_url}/_sandbox/webhooks",
        json={
            "url": f"{config.webhooks_url}/webhooks/buildium",
            "secret": secret,
            "deliver_in_background": True,
        },
        timeout=10,
    )
    gmail = httpx.post(
        f"{config.gmail_url}/_sandbox/gmail/push",
        json={"url": config.gmail_push_audience, "audience": config.gmail_push_audience},
        timeout=10,
    )
    for name, answer in (("Buildium", buildium), ("Gmail", gmail)):
        if answer.status_code >= 400:
            raise DevstackError(
                f"could not point the {name} sandbox at the receiver: {answer.text}"
            )
    detail(f"Buildium webhooks → {config.webhooks_url}/webhooks/buildium (signed, HMAC)")
    detail(f"Gmail push → {config.gmail_push_audience} (OIDC JWT)")
    return process


# What a starting Prefect server is doing, by the last of these lines its log shows (the
# server logs at INFO for this): (line, what it does from then on). The long stage is the
# application start-up, which migrates Prefect's own database before the port opens.
PREFECT_START_STAGES = (
    ("", "loading the Prefect CLI"),
    ("Check out the dashboard", "starting the server process (importing the server)"),
    ("Waiting for application startup", "{database} and starting its services"),
    ("Application startup complete", "answering /api/health"),
)


def prefect_start_stage(log: str, *, fresh_database: bool) -> str:
    """What the Prefect server is doing, read from its log so far."""
    stage = ""
    for line, doing in PREFECT_START_STAGES:
        if line in log:
            stage = doing
    database = (
        "creating its database var/prefect/prefect.db (first start: every migration, ~10 s)"
        if fresh_database
        else "checking its database's migrations"
    )
    return stage.format(database=database)


def start_prefect_server(
    config: DemoConfig, supervisor: Supervisor, env: Mapping[str, str]
) -> ManagedProcess:
    fresh = not (config.var / "prefect" / "prefect.db").exists()
    process = supervisor.start(
        "prefect-server",
        [command("prefect"), "server", "start", "--host", HOST, "--port", str(config.prefect_port)],
        env={**env, "PREFECT_LOGGING_SERVER_LEVEL": "INFO"},
        cwd=config.root,
    )
    started, shown = time.monotonic(), ""

    def stage() -> str:
        try:
            log = process.log_path.read_text(errors="replace")
        except OSError:
            log = ""
        return prefect_start_stage(log, fresh_database=fresh)

    def report_stage() -> None:
        nonlocal shown
        now = stage()
        if now != shown:
            shown = now
            detail(f"{time.monotonic() - started:4.0f} s  {now}")

    with PrefectApi(config.prefect_api_url) as api:

        def ready() -> bool:
            report_stage()
            return process.listens_on(config.prefect_port) and api.healthy()

        wait_until(
            "Prefect /api/health",
            ready,
            timeout=180,
            process=process,
            progress=detail,
            status=stage,
        )
    return process


def start_worker(
    config: DemoConfig, supervisor: Supervisor, env: Mapping[str, str]
) -> ManagedProcess:
    """Create the work pool and the ingest concurrency limit if needed, clear what an earlier
    demo stopped mid-run left behind, then start a worker."""
    with PrefectApi(config.prefect_api_url) as api:
        api.ensure_work_pool(WORK_POOL, ProcessWorker.get_default_base_job_template())
        api.ensure_concurrency_limit(config.settings.listings.concurrency_limit_name, 1)
        api.ensure_concurrency_limit(config.settings.gmail.concurrency_limit_name, 1)
        api.ensure_concurrency_limit(config.settings.buildium_sync.concurrency_limit_name, 1)
        # Buildium allows 10 requests/s per account: a slot freed every 1/9.5 s (flows/governor.py)
        api.ensure_concurrency_limit(
            config.settings.buildium.rate_limit_name, 1, slot_decay_per_second=9.5
        )
        cancelled, freed = api.clear_leftovers(
            "left unfinished by an earlier demo that was stopped"
        )
    if cancelled:
        detail(f"cancelled flow runs an earlier demo left unfinished: {', '.join(cancelled)}")
    if freed:
        detail(f"freed the concurrency slots they held: {', '.join(freed)}")
    return supervisor.start(
        "worker",
        [
            *(command("prefect"), "worker", "start", "--pool", WORK_POOL),
            *("--type", "process", "--name", "wonder-local-worker"),
        ],
        env=env,
        cwd=config.root,
    )


def deploy_all(config: DemoConfig, env: Mapping[str, str]) -> None:
    """``prefect deploy --all`` from the checkout, without prompts."""
    run_cli(
        [command("prefect"), "--no-prompt", "deploy", "--all"],
        env={**env, "PWD": str(config.root)},
        cwd=config.root,
        log=config.logs / "deploy.log",
        timeout=300,
    )


def start_grpc(config: DemoConfig, supervisor: Supervisor, env: Mapping[str, str]) -> str:
    """Start `wonder serve`, wait for its port, create a listings:read token; return the token."""
    port = config.settings.grpc.port
    server = supervisor.start("grpc", [command("wonder"), "serve"], env=env, cwd=config.root)
    wait_until(
        f"the gRPC server on {HOST}:{port}",
        lambda: server.listens_on(port),
        timeout=60,
        process=server,
        progress=detail,
    )
    return create_demo_token(config, env)


def create_demo_token(
    config: DemoConfig, env: Mapping[str, str], wonder: Sequence[str] | None = None
) -> str:
    """A fresh ``demo`` token (listings:read); the previous demo's is revoked, not piled up.

    ``wonder``: how to run the CLI (default: this virtualenv's ``wonder`` script).
    """
    output = run_cli(
        [
            *(wonder or [command("wonder")]),
            *("tokens", "create", DEMO_TOKEN_NAME, "--scopes", DEMO_TOKEN_SCOPES, "--replace"),
        ],
        env=env,
        cwd=config.root,
        log=config.logs / "token.log",
        timeout=60,
        secret_stdout=True,
    )
    match = TOKEN_PATTERN.search(output)
    if not match:
        raise DevstackError(
            f"`wonder tokens create` printed no token (see {config.logs}/token.log)"
        )
    return match.group(0)
