"""One typed settings object, built at the edge (CLI, flow, server) and passed down.

Every value can come from a ``WONDER_``-prefixed environment variable or a ``.env`` file
(``WONDER_ENV_FILE`` names another file; empty: none); nested groups use ``__``
(``WONDER_TRESTLE__CLIENT_ID``). Secrets are ``SecretStr`` so they
never print in a repr, a log line or an error message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# The SQLite database used when WONDER_DATABASE_URL is not set (see default_database_path).
SQLITE_FILE_NAME = "wonder.db"
USER_DATA_APP_NAME = "wonder-street"
# Development default of the page-token signing key; `wonder serve` warns while it is in use.
DEV_PAGE_TOKEN_SECRET = "change-me-page-token-secret"  # noqa: S105


def source_checkout(package_dir: Path | None = None) -> Path | None:
    """The source checkout this package runs from (``pyproject.toml`` beside ``wonder/``)."""
    package = package_dir or Path(__file__).resolve().parent
    checkout = package.parent
    return checkout if (checkout / "pyproject.toml").is_file() else None


def default_database_path(package_dir: Path | None = None) -> Path:
    """Where the default SQLite database lives, whatever the current directory: ``var/`` of the
    source checkout when running from one, else the user data directory (platformdirs)."""
    checkout = source_checkout(package_dir)
    if checkout is not None:
        return checkout / "var" / SQLITE_FILE_NAME
    import platformdirs

    return Path(platformdirs.user_data_dir(USER_DATA_APP_NAME)) / SQLITE_FILE_NAME


def default_database_url() -> str:
    """``sqlite:////absolute/path/wonder.db``: absolute, so the current directory does not count."""
    return f"sqlite:///{default_database_path()}"


class TrestleSettings(BaseModel):
    """CoreLogic Trestle (RESO Web API) connection."""

    base_url: str = "http://127.0.0.1:8701"
    token_path: str = "/trestle/oidc/connect/token"  # noqa: S105 (a URL path)
    odata_path: str = "/trestle/odata"
    client_id: str = "sandbox-client"
    client_secret: SecretStr = SecretStr("sandbox-secret")
    # Name of a Prefect Secret block holding the client secret; when set, flows resolve it at
    # their edge and it wins over client_secret. A name, not a secret.
    client_secret_block: str | None = None
    scope: str = "api"
    timeout_seconds: float = 60.0
    page_size: int = Field(default=1000, ge=1, le=1000)
    # Re-fetch the token this long before it expires.
    token_refresh_margin_seconds: float = 300.0
    max_retries: int = Field(default=6, ge=0)
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 60.0
    # Keep this many queries of the minute quota in reserve for other consumers of the connection.
    quota_reserve: int = Field(default=2, ge=0)
    # A quota wait (hour reset, Retry-After) longer than this raises RateLimited, never sleeps.
    max_quota_wait_seconds: float = Field(default=120.0, ge=0)


class BuildiumSettings(BaseModel):
    """Buildium (property management) API connection: header auth, 10 requests/s per account."""

    base_url: str = "http://127.0.0.1:8702"
    client_id: str = "sandbox-client"
    client_secret: SecretStr = SecretStr("sandbox-secret")
    # Name of a Prefect Secret block holding the client secret (a name, not a secret).
    client_secret_block: str | None = None
    # The account's request budget (API-FACTS: 10/s); every client of one account shares it.
    rate_per_second: float = Field(default=10.0, gt=0)
    # Prefect global rate limit (slot decay = rate_per_second) the flows take, strictly.
    rate_limit_name: str = "buildium-account"
    timeout_seconds: float = 30.0
    page_size: int = Field(default=1000, ge=1, le=1000)
    max_retries: int = Field(default=8, ge=0)
    # The guide: retry a 429 after ~200 ms, backing off exponentially.
    backoff_base_seconds: float = 0.2
    backoff_max_seconds: float = 10.0
    # Incremental reads start this far before the stored watermark (lastupdatedfrom is inclusive).
    overlap_seconds: int = Field(default=300, ge=0)
    # Buildium answers 500 to a longer query string; the client splits id lists below it.
    max_query_chars: int = Field(default=4_096, ge=256)


class GmailSettings(BaseModel):
    """The Gmail mailboxes the mail ingest reads (``WONDER_GMAIL__*``).

    Credentials: ``service_account_key_file`` (a JSON key with domain-wide delegation; each
    mailbox is impersonated) when set, else ``token`` (the sandbox's, or an OAuth access token).
    """

    base_url: str = "http://127.0.0.1:8703"
    mailboxes: tuple[str, ...] = ("agent@wonderstreet.example", "leasing@wonderstreet.example")
    token: SecretStr = SecretStr("sandbox-gmail-token")
    # Name of a Prefect Secret block with the token; flows resolve it at their edge.
    token_block: str | None = None
    service_account_key_file: Path | None = None
    # legacy: 250 units/s per mailbox (get = 5); current: 6,000 units/min (get = 20).
    regime: Literal["legacy", "current"] = "legacy"
    # Spend at most this share of the quota (our pacing and Google's drift apart a little).
    quota_headroom: float = Field(default=0.95, gt=0, le=1)
    batch_size: int = Field(default=50, ge=1, le=50)
    timeout_seconds: float = 60.0
    max_retries: int = Field(default=6, ge=0)
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 60.0
    # ModifyMessageLabels (a caller waits): Gmail retries, and the longest quota wait, before
    # the call is UNAVAILABLE.
    api_max_retries: int = Field(default=2, ge=0, le=10)
    api_max_wait_seconds: float = Field(default=5.0, gt=0)
    # The Pub/Sub topic users.watch publishes to.
    push_topic: str = "projects/wonder-street/topics/gmail"
    # The Prefect global concurrency limit (one slot) the mail flows hold: one sync at a time,
    # so one mailbox's quota is never spent by two workers at once.
    concurrency_limit_name: str = "mail-ingest"


class ListingIngestSettings(BaseModel):
    """How the listing ingest walks Trestle."""

    # Incremental runs re-read this far behind the stored cursor (late commits at the source).
    overlap_seconds: int = Field(default=300, ge=0)
    # A census that would delete more than this fraction of stored listings is held.
    mass_delete_fraction: float = Field(default=0.05, ge=0.0, le=1.0)
    # ... unless it deletes no more than this many rows (small databases).
    mass_delete_min_rows: int = Field(default=50, ge=0)
    census_page_size: int = Field(default=300_000, ge=1, le=300_000)
    # Prefect global concurrency limit (1 slot) every listing ingest flow holds, strictly: a first
    # load, a sync and a census never write the listing tables at once, whichever worker runs them.
    concurrency_limit_name: str = "listings-ingest"
    media_batch_size: int = Field(default=50, ge=1, le=200)


class BuildiumSyncSettings(BaseModel):
    """How the Buildium mirror walks Buildium (``wonder.sync.mirror_service``)."""

    # Records per request (Buildium caps ``limit`` at 1000).
    page_size: int = Field(default=1000, ge=1, le=1000)
    # Incremental reads start this far behind the stored watermark (the request clock).
    overlap_seconds: int = Field(default=300, ge=0)
    # Lease ledgers re-read per unit of work (one commit for this many leases).
    ledger_batch_size: int = Field(default=25, ge=1, le=1000)
    # A full read that would delete more than this fraction of stored records is held ...
    mass_delete_fraction: float = Field(default=0.05, ge=0.0, le=1.0)
    # ... unless it deletes no more than this many (small portfolios).
    mass_delete_min_rows: int = Field(default=20, ge=0)
    # The Prefect global concurrency limit (one slot) the Buildium sync flows hold: an incremental
    # run and the nightly reconciliation never walk the mirror at once.
    concurrency_limit_name: str = "buildium-sync"


class FlowSettings(BaseModel):
    """How the Prefect flows retry a resource's task after a transient or rate-limit error."""

    # The first retry waits this long, each next one twice as long (then +/- the jitter).
    task_retry_backoff_seconds: float = Field(default=30.0, ge=0)
    # Spread of each retry delay around its value (0: none; 0.5: up to +/-50%).
    task_retry_jitter_factor: float = Field(default=0.5, ge=0)


class GrpcSettings(BaseModel):
    """The gRPC query API."""

    host: str = "127.0.0.1"
    port: int = 50051
    processes: int = Field(default=1, ge=1)
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    # With a client CA the server requires and verifies client certificates (mutual TLS).
    tls_client_ca_file: Path | None = None
    # Signs page tokens so a consumer cannot forge or alter them.
    page_token_secret: SecretStr = SecretStr(DEV_PAGE_TOKEN_SECRET)
    # A page token is refused (INVALID_ARGUMENT, "expired") this long after it was issued.
    page_token_ttl_seconds: int = Field(default=3600, ge=1)
    metrics_port: int | None = None
    default_page_size: int = Field(default=50, ge=1)
    max_page_size: int = Field(default=1000, ge=1)
    keepalive_time_ms: int = 60_000
    keepalive_timeout_ms: int = 20_000
    shutdown_grace_seconds: float = 5.0
    # StreamListingChanges: how often an idle stream polls the change feed, how many changes it
    # reads per query, and how long it waits for a cursor gap (a change whose transaction has
    # not committed yet) to fill before treating it as rolled back.
    change_stream_poll_seconds: float = Field(default=0.5, gt=0)
    # What one stream holds while its reader catches up scales with the batch: 500 FULL changes
    # cost ~9 MiB a stream, 100 ~2 MiB (bench/abuse.py).
    change_stream_batch_size: int = Field(default=100, ge=1)
    change_stream_gap_grace_seconds: float = Field(default=10.0, ge=0)
    # The server probes the database this often (SELECT 1 with this timeout) for its health.
    health_check_interval_seconds: float = Field(default=5.0, gt=0)
    health_check_timeout_seconds: float = Field(default=2.0, gt=0)
    # Database connections of one server process: kept open, and extra ones under bursts; the
    # one-round-trip reads (GetListing, BatchGet, BASIC ListListings) have a pool of their own
    # of up to database_pool_size raw connections (wonder/db/read_pool.py).
    database_pool_size: int = Field(default=10, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)
    # Limits no caller can exceed (documented in the protos and the README). A request body over
    # max_request_bytes is refused by gRPC (RESOURCE_EXHAUSTED); a string field over
    # max_request_field_chars is INVALID_ARGUMENT naming the field.
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_request_field_chars: int = Field(default=4096, ge=64)
    # Server streams: at most this many open at once per server and per consumer (more are
    # RESOURCE_EXHAUSTED), and a stream whose reader has not taken a message for
    # stream_write_timeout_seconds is ended with RESOURCE_EXHAUSTED (what it buffers is bounded
    # by HTTP/2 flow control meanwhile).
    max_streams: int = Field(default=64, ge=1)
    max_streams_per_consumer: int = Field(default=8, ge=1)
    stream_write_timeout_seconds: float = Field(default=30.0, gt=0)


class TrestleSandboxSettings(BaseModel):
    """The Trestle emulator (``WONDER_SANDBOX__TRESTLE__*``)."""

    port: int = 8701
    listings: int = Field(default=500, ge=0)
    seed: int = 42
    profile: Literal["realistic", "fast"] = "realistic"
    token_ttl_seconds: int = Field(default=28_800, ge=1)


class GmailSandboxSettings(BaseModel):
    """The Gmail emulator (``WONDER_SANDBOX__GMAIL__*``)."""

    port: int = 8703
    seed: int = 42
    messages_per_mailbox: int = Field(default=60, ge=0)
    profile: Literal["realistic", "fast"] = "realistic"
    # legacy: 250 units/s, messages.get = 5; current: 6,000 units/min, messages.get = 20.
    regime: Literal["legacy", "current"] = "legacy"


class BuildiumSandboxSettings(BaseModel):
    """The Buildium emulator (``WONDER_SANDBOX__BUILDIUM__*``)."""

    port: int = 8702
    properties: int = Field(default=40, ge=1)
    units: int = Field(default=300, ge=1)
    leases: int = Field(default=250, ge=0)
    seed: int = 42
    profile: Literal["realistic", "fast"] = "realistic"
    # Signs the events sent with ``--webhook-url`` (the receiver must know the same secret).
    webhook_secret: SecretStr = SecretStr("sandbox-webhook-secret")


class WebhookSettings(BaseModel):
    """The webhook receiver (``wonder webhooks serve``) and its inbox drain."""

    host: str = "127.0.0.1"
    port: int = 8780
    # A body over this many bytes is refused with 413 before it is read any further.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Buildium: HMAC secret of the subscription; during a rotation set the old one as previous.
    buildium_secret: SecretStr | None = None
    buildium_secret_previous: SecretStr | None = None
    # Gmail push (Pub/Sub OIDC): the audience the subscription puts in its tokens (usually the
    # push endpoint URL), the service account it signs as, and where its signing keys are.
    gmail_audience: str | None = None
    gmail_push_service_account: str | None = None
    gmail_certs_url: str = "https://www.googleapis.com/oauth2/v1/certs"
    certs_cache_seconds: float = Field(default=300.0, ge=0)
    # Signed timestamps (Buildium) and token times (Gmail) may be this far off our clock.
    allowed_clock_skew_seconds: int = Field(default=300, ge=0)
    # Drain: an event failing this many times is dead-lettered; a claim older than the lease is
    # taken again (its drain died); events claimed per batch.
    max_attempts: int = Field(default=5, ge=1)
    claim_lease_seconds: float = Field(default=300.0, gt=0)
    batch_size: int = Field(default=100, ge=1)
    # Where "stored" events are announced: "auto" (Prefect when PREFECT_API_URL is set), "none",
    # or the name of a ``wonder.webhook_sinks`` entry point (e.g. "prefect").
    event_sink: str = "auto"
    # A burst of one source's deliveries is announced once, then once more at the end of this
    # window (0: announce each); one processing run drains the burst.
    event_coalesce_seconds: float = Field(default=3.0, ge=0)
    database_pool_size: int = Field(default=10, ge=1)


class SandboxSettings(BaseModel):
    """The local emulators of the external services: what they share, then one group each."""

    host: str = "127.0.0.1"
    state_dir: Path = Path("var") / "sandbox"
    trestle: TrestleSandboxSettings = TrestleSandboxSettings()
    gmail: GmailSandboxSettings = GmailSandboxSettings()
    buildium: BuildiumSandboxSettings = BuildiumSandboxSettings()


class Settings(BaseSettings):
    """Everything the platform is configured with."""

    model_config = SettingsConfigDict(
        env_prefix="WONDER_",
        env_file=os.environ.get("WONDER_ENV_FILE", ".env") or None,
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
    )

    # Unset: SQLite at default_database_path(). A relative sqlite:///path is relative to the
    # current directory.
    database_url: str = Field(default_factory=default_database_url)
    log_level: str = "INFO"
    trestle: TrestleSettings = TrestleSettings()
    buildium: BuildiumSettings = BuildiumSettings()
    gmail: GmailSettings = GmailSettings()
    listings: ListingIngestSettings = ListingIngestSettings()
    buildium_sync: BuildiumSyncSettings = BuildiumSyncSettings()
    flows: FlowSettings = FlowSettings()
    grpc: GrpcSettings = GrpcSettings()
    sandbox: SandboxSettings = SandboxSettings()
    webhooks: WebhookSettings = WebhookSettings()
