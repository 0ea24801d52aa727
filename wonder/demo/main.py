"""The demo, step by step: database, sandbox, Prefect server + worker, deployments, runs, gRPC."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx
from sqlalchemy.engine import make_url

from wonder.demo.prefect_api import FlowRunOutcome, PrefectApi
from wonder.demo.processes import DemoError, Supervisor, port_in_use, wait_until
from wonder.demo.summary import database_summary
from wonder.settings import Settings

HOST = "127.0.0.1"
PREFECT_PORT = 4200
WORK_POOL = "wonder-process"
# (flow name, deployment name) in the order the demo runs them once.
DEPLOYMENT_RUNS = (
    ("listings-first-load", "listings-first-load"),
    ("listings-incremental", "listings-incremental"),
    ("listings-census", "listings-census"),
)
SCHEDULED = ("listings-incremental", "listings-census")
TOKEN_PATTERN = re.compile(r"\bws_[A-Za-z0-9_\-]{20,}")


@dataclass(frozen=True)
class DemoConfig:
    root: Path
    settings: Settings
    prefect_port: int = PREFECT_PORT
    run_timeout: float = 600.0

    @property
    def var(self) -> Path:
        return self.root / "var"

    @property
    def database_url(self) -> str:
        """The configured database; the default relative SQLite path made absolute."""
        url = make_url(self.settings.database_url)
        if (
            url.get_backend_name() == "sqlite"
            and url.database
            and not Path(url.database).is_absolute()
        ):
            url = url.set(database=str(self.root / url.database))
        return url.render_as_string(hide_password=False)

    @property
    def trestle_url(self) -> str:
        return f"http://{HOST}:{self.settings.sandbox.trestle_port}"

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
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env


def _command(name: str) -> str:
    """A console script of this virtualenv (prefect, wonder), whatever PATH says."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def grpc_available() -> bool:
    return all(
        importlib.util.find_spec(module) is not None
        for module in ("wonder.api_cli", "wonder.auth.cli", "grpc_server.server")
    )


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


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code < 500
    except httpx.HTTPError:
        return False


def _run_cli(
    argv: list[str], *, env: Mapping[str, str], cwd: Path, log: Path, timeout: float
) -> str:
    """Run a short command to completion; its output goes to ``log``; fail loudly on non-zero."""
    result = subprocess.run(  # noqa: S603 (argv built here, no shell)
        argv, env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        raise DemoError(f"`{shlex.join(argv[:4])} ...` exited with {result.returncode}:\n{tail}")
    return result.stdout


def check_ports(config: DemoConfig, with_grpc: bool) -> None:
    wanted = {
        config.settings.sandbox.trestle_port: "the Trestle sandbox",
        config.prefect_port: "the Prefect server",
    }
    if with_grpc:
        wanted[config.settings.grpc.port] = "the gRPC server"
    busy = [f"{port} ({what})" for port, what in wanted.items() if port_in_use(HOST, port)]
    if busy:
        raise DemoError(
            f"port(s) already in use on {HOST}: {', '.join(busy)}. Another demo may still be "
            "running; stop whatever listens there (`lsof -i :PORT` shows it) and retry."
        )


def run_deployments(api: PrefectApi, config: DemoConfig, supervisor: Supervisor) -> None:
    ids = {name: api.deployment_id(flow, name) for flow, name in DEPLOYMENT_RUNS}
    # Hold the schedules while the demo runs each ingest once, so a scheduled run cannot race it.
    for name in SCHEDULED:
        api.set_paused(ids[name], True)
    try:
        for _flow, name in DEPLOYMENT_RUNS:
            started = time.monotonic()
            run_id = api.run_deployment(ids[name])
            outcome = api.wait_for_flow_run(run_id, timeout=config.run_timeout)
            _report_run(name, outcome, time.monotonic() - started, config)
            supervisor.check_running()
    finally:
        for name in SCHEDULED:
            api.set_paused(ids[name], False)


def _report_run(name: str, outcome: FlowRunOutcome, seconds: float, config: DemoConfig) -> None:
    link = f"{config.prefect_ui_url}/runs/flow-run/{outcome.id}"
    if not outcome.succeeded:
        raise DemoError(
            f"deployment {name}: flow run {outcome.name} ended {outcome.state_name}"
            f" ({outcome.message or 'no message'}); see {link} and var/demo/logs/worker.log"
        )
    print(f"      {name}: {outcome.state_name} in {seconds:.1f} s ({link})", flush=True)


def start_grpc(config: DemoConfig, supervisor: Supervisor, env: Mapping[str, str]) -> str:
    """Start `wonder serve`, wait for its port, create a token; return the token."""
    server = supervisor.start("grpc", [_command("wonder"), "serve"], env=env, cwd=config.root)
    wait_until(
        f"the gRPC server on {HOST}:{config.settings.grpc.port}",
        lambda: port_in_use(HOST, config.settings.grpc.port),
        timeout=60,
        process=server,
    )
    output = _run_cli(
        [
            _command("wonder"),
            "tokens",
            "create",
            f"demo-{time.strftime('%Y%m%d-%H%M%S')}",
            "--scopes",
            "listings:read",
        ],
        env=env,
        cwd=config.root,
        log=config.var / "demo" / "logs" / "token.log",
        timeout=60,
    )
    match = TOKEN_PATTERN.search(output)
    if not match:
        raise DemoError("`wonder tokens create` printed no token (see var/demo/logs/token.log)")
    return match.group(0)


def _buf() -> str:
    local = Path("node_modules/.bin/buf")
    return str(local) if local.exists() else "npx buf"


def print_grpc_examples(config: DemoConfig, token: str, listing_key: str | None) -> None:
    address = f"http://{HOST}:{config.settings.grpc.port}"
    common = (
        f"{_buf()} curl --protocol grpc --http2-prior-knowledge -H 'authorization: Bearer {token}'"
    )
    name = f"listings/{listing_key or 'LISTING_KEY'}"
    print(
        f"\ngRPC API on {HOST}:{config.settings.grpc.port} (health and reflection need no token)\n"
        f"  API token (scope listings:read; shown once): {token}\n"
        "  Try:\n"
        f'    {common} --data \'{{"name":"{name}"}}\' '
        f"{address}/wonder.v1.ListingService/GetListing\n"
        f"    {common} --data '{{\"page_size\":3}}' "
        f"{address}/wonder.v1.ListingService/ListListings\n"
    )


def print_summary(config: DemoConfig) -> str | None:
    summary = database_summary(config.database_url)
    print("\nIngested into", make_url(config.database_url).render_as_string(hide_password=True))
    for label, count in summary.counts.items():
        print(f"  {label:<22} {count}")
    if summary.sample:
        print("  a few listings:")
        for line in summary.sample:
            print(f"    {line}")
    return summary.first_key


def print_prefect_guide(config: DemoConfig) -> None:
    ui = config.prefect_ui_url
    print(
        f"\nPrefect UI: {ui}\n"
        f"  deployments: {ui}/deployments (listings-incremental every 15 min, census daily,"
        " first load by hand)\n"
        f"  flow runs:   {ui}/runs (each run's logs, one line per committed page)\n"
        f"  artifacts:   {ui}/artifacts (listings-*-report: counts, requests, quota)\n"
        "  logs of the processes the demo started: var/demo/logs/\n"
    )


def run_demo(config: DemoConfig) -> None:
    with_grpc = grpc_available()
    progress = Progress(total=8 if with_grpc else 7)
    env = config.env()
    logs = config.var / "demo" / "logs"
    with Supervisor(logs) as supervisor:
        with progress.step("Checking ports"):
            check_ports(config, with_grpc)
        with progress.step(
            f"Migrating {make_url(config.database_url).render_as_string(hide_password=True)}"
        ):
            from wonder.db.migrate import upgrade

            upgrade(config.database_url)
        with progress.step(f"Starting the Trestle sandbox on {config.trestle_url}"):
            sandbox = supervisor.start(
                "sandbox",
                [
                    _command("wonder"),
                    "sandbox",
                    "trestle",
                    "--host",
                    HOST,
                    "--port",
                    str(config.settings.sandbox.trestle_port),
                    "--listings",
                    str(config.settings.sandbox.listings),
                    "--seed",
                    str(config.settings.sandbox.seed),
                    "--profile",
                    "realistic",
                ],
                env=env,
                cwd=config.root,
            )
            service_root = f"{config.trestle_url}{config.settings.trestle.odata_path}"
            wait_until(
                "the sandbox to answer", lambda: _http_ok(service_root), timeout=60, process=sandbox
            )
        with progress.step(
            f"Starting the Prefect server on {config.prefect_ui_url} (SQLite in var/prefect)"
        ):
            server = supervisor.start(
                "prefect-server",
                [
                    _command("prefect"),
                    "server",
                    "start",
                    "--host",
                    HOST,
                    "--port",
                    str(config.prefect_port),
                ],
                env=env,
                cwd=config.root,
            )
            with PrefectApi(config.prefect_api_url) as api:
                wait_until("Prefect /api/health", api.healthy, timeout=120, process=server)
        with progress.step(f"Starting a process worker on work pool {WORK_POOL}"):
            _ensure_work_pool(config, env)
            worker = supervisor.start(
                "worker",
                [
                    _command("prefect"),
                    "worker",
                    "start",
                    "--pool",
                    WORK_POOL,
                    "--type",
                    "process",
                    "--name",
                    "wonder-demo-worker",
                ],
                env=env,
                cwd=config.root,
            )
        with progress.step("Deploying prefect.yaml (prefect deploy --all)"):
            _run_cli(
                [_command("prefect"), "--no-prompt", "deploy", "--all"],
                env={**env, "PWD": str(config.root)},
                cwd=config.root,
                log=logs / "deploy.log",
                timeout=180,
            )
        with (
            progress.step("Running each listing deployment once: first load, incremental, census"),
            PrefectApi(config.prefect_api_url) as api,
        ):
            run_deployments(api, config, supervisor)
        listing_key = print_summary(config)
        if with_grpc:
            with progress.step(f"Starting the gRPC server on {HOST}:{config.settings.grpc.port}"):
                token = start_grpc(config, supervisor, env)
            print_grpc_examples(config, token, listing_key)
        else:
            print("\n(gRPC server not available in this checkout yet: showing the data instead)")
        print_prefect_guide(config)
        print("Everything is up. Press Ctrl-C to stop it all.", flush=True)
        while True:
            supervisor.check_running()
            if not worker.running():
                raise DemoError("the Prefect worker stopped; see var/demo/logs/worker.log")
            time.sleep(1)


def _ensure_work_pool(config: DemoConfig, env: Mapping[str, str]) -> None:
    try:
        exists = (
            httpx.get(f"{config.prefect_api_url}/work_pools/{WORK_POOL}", timeout=10).status_code
            == 200
        )
    except httpx.HTTPError as exc:
        raise DemoError(f"Prefect API unreachable: {exc.__class__.__name__}") from exc
    if not exists:
        _run_cli(
            [_command("prefect"), "work-pool", "create", WORK_POOL, "--type", "process"],
            env=env,
            cwd=config.root,
            log=config.var / "demo" / "logs" / "work-pool.log",
            timeout=120,
        )


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def project_root() -> Path:
    """The checkout (where prefect.yaml lives); the current directory as a fallback."""
    here = Path(__file__).resolve().parents[2]
    return here if (here / "prefect.yaml").exists() else Path.cwd()


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    root = project_root()
    os.chdir(root)
    config = DemoConfig(root=root, settings=Settings())
    print(f"Wonder Street demo in {root} (logs in var/demo/logs/)", flush=True)
    try:
        run_demo(config)
    except KeyboardInterrupt:
        print("\nStopped; every process the demo started has been stopped.", flush=True)
        return 0
    except DemoError as exc:
        print(f"\ndemo failed: {exc}", file=sys.stderr, flush=True)
        print("Every process the demo started has been stopped.", file=sys.stderr, flush=True)
        return 1
    return 0
