"""The Prefect calls of the demo and the end-to-end tests, through Prefect's own client.

``PrefectApi`` holds one ``SyncPrefectClient`` (from ``get_client`` with ``PREFECT_API_URL``
set to the demo's server). That client already retries what is worth retrying (429, 502, 503:
a Prefect server on SQLite answers 503 now and then while its database is locked; dropped
connections once it has connected), and raises ``ObjectNotFound`` for a 404; every other failure
of a call becomes a ``DevstackError`` saying which call failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import (
    GlobalConcurrencyLimitCreate,
    GlobalConcurrencyLimitUpdate,
    WorkPoolCreate,
)
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import Cancelled

from devstack.processes import DevstackError, wait_until

TERMINAL_STATES = frozenset(
    state.value
    for state in (StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED)
)
# A flow run in these states holds its deployment's concurrency slot (taken on Pending).
UNFINISHED_STATES = (StateType.PENDING, StateType.RUNNING, StateType.CANCELLING)


@dataclass(frozen=True)
class FlowRunOutcome:
    id: str
    name: str
    state_type: str
    state_name: str
    message: str | None

    @classmethod
    def of(cls, run: FlowRun) -> FlowRunOutcome:
        state = run.state
        return cls(
            id=str(run.id),
            name=run.name,
            state_type=state.type.value if state else StateType.PENDING.value,
            state_name=(state.name or state.type.value.title()) if state else "Pending",
            message=state.message if state else None,
        )

    @property
    def succeeded(self) -> bool:
        return self.state_type == StateType.COMPLETED.value

    @property
    def finished(self) -> bool:
        """Over, for a caller waiting on it: a terminal state, or a failed attempt that the flow
        will retry later (AwaitingRetry, of type SCHEDULED): a failure to report now."""
        return self.state_type in TERMINAL_STATES or self.state_name == "AwaitingRetry"


class PrefectApi:
    """The few Prefect calls devstack makes; use it as a context manager."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url.rstrip("/")
        with temporary_settings(updates={PREFECT_API_URL: self.api_url}):
            self._client: SyncPrefectClient = get_client(sync_client=True)
        self._client.__enter__()

    def close(self) -> None:
        self._client.__exit__(None, None, None)

    def __enter__(self) -> PrefectApi:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _call(self, what: str) -> Iterator[None]:
        try:
            yield
        except httpx.HTTPStatusError as exc:
            raise DevstackError(
                f"Prefect API ({self.api_url}), {what}: answered {exc.response.status_code}:"
                f" {exc.response.text[:300]}"
            ) from exc
        except httpx.TransportError as exc:
            raise DevstackError(
                f"Prefect API ({self.api_url}) unreachable when {what}: {exc.__class__.__name__}"
            ) from exc

    def healthy(self) -> bool:
        return self._client.api_healthcheck() is None

    def ensure_work_pool(self, name: str, base_job_template: dict[str, Any]) -> bool:
        """Create the process work pool ``name`` unless it exists; True if it was created."""
        with self._call(f"reading work pool {name}"):
            try:
                self._client.read_work_pool(name)
            except ObjectNotFound:
                pass
            else:
                return False
        with self._call(f"creating work pool {name}"):
            self._client.create_work_pool(
                WorkPoolCreate(name=name, type="process", base_job_template=base_job_template)
            )
        return True

    def ensure_concurrency_limit(
        self, name: str, limit: int, *, slot_decay_per_second: float = 0.0
    ) -> None:
        """Create the global concurrency limit ``name`` unless it exists (flows use it strictly);
        with ``slot_decay_per_second`` it is a rate limit (slots come back by themselves)."""
        with self._call(f"reading concurrency limit {name}"):
            try:
                self._client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                pass
            else:
                return
        with self._call(f"creating concurrency limit {name}"):
            self._client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(
                    name=name, limit=limit, active=True, slot_decay_per_second=slot_decay_per_second
                )
            )

    def clear_leftovers(self, reason: str) -> tuple[list[str], list[str]]:
        """Cancel every unfinished flow run and free every occupied concurrency slot; return
        (the runs cancelled, the limits freed).

        Only for a server of one's own before its first worker starts: whatever then claims to
        run was left behind by a process killed mid-run (a demo stopped with Ctrl-C), and its
        slots would never come back: the server keeps slot leases in memory, so a restart loses
        them while the occupied slots stay in its database.
        """
        unfinished = FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=list(UNFINISHED_STATES)))
        )
        with self._call("reading unfinished flow runs"):
            runs = self._client.read_flow_runs(flow_run_filter=unfinished)
        cancelled = []
        for run in runs:
            with self._call(f"cancelling flow run {run.name}"):
                self._client.set_flow_run_state(run.id, Cancelled(message=reason), force=True)
            cancelled.append(f"{run.name} ({FlowRunOutcome.of(run).state_name})")
        with self._call("reading concurrency limits"):
            limits = self._client.read_global_concurrency_limits(limit=200)
        freed = []
        for limit in limits:
            if limit.active_slots:
                with self._call(f"freeing the slots of concurrency limit {limit.name}"):
                    self._client.update_global_concurrency_limit(
                        limit.name, GlobalConcurrencyLimitUpdate(active_slots=0)
                    )
                freed.append(limit.name)
        return cancelled, freed

    def deployment_id(self, flow_name: str, deployment_name: str) -> UUID:
        qualified = f"{flow_name}/{deployment_name}"
        with self._call(f"reading deployment {qualified}"):
            try:
                return self._client.read_deployment_by_name(qualified).id
            except ObjectNotFound:
                raise DevstackError(
                    f"no deployment {qualified} on {self.api_url}: did `prefect deploy --all`"
                    " run from the checkout (prefect.yaml)?"
                ) from None

    def set_paused(self, deployment_id: UUID, paused: bool) -> None:
        with self._call(f"{'pausing' if paused else 'resuming'} deployment {deployment_id}"):
            if paused:
                self._client.pause_deployment(deployment_id)
            else:
                self._client.resume_deployment(deployment_id)

    def run_deployment(self, deployment_id: UUID, parameters: dict[str, Any] | None = None) -> str:
        with self._call(f"creating a flow run of deployment {deployment_id}"):
            run = self._client.create_flow_run_from_deployment(
                deployment_id, parameters=parameters or {}
            )
        return str(run.id)

    def flow_run(self, flow_run_id: str) -> FlowRunOutcome:
        with self._call(f"reading flow run {flow_run_id}"):
            return FlowRunOutcome.of(self._client.read_flow_run(UUID(flow_run_id)))

    def wait_for_flow_run(
        self,
        flow_run_id: str,
        *,
        timeout: float,
        interval: float = 0.5,
        progress: Callable[[str], None] | None = None,
    ) -> FlowRunOutcome:
        """Poll the flow run until it is finished (see ``FlowRunOutcome.finished``)."""
        outcome = self.flow_run(flow_run_id)

        def finished() -> bool:
            nonlocal outcome
            if not outcome.finished:
                outcome = self.flow_run(flow_run_id)
            return outcome.finished

        wait_until(
            f"flow run {outcome.name}",
            finished,
            timeout=timeout,
            interval=interval,
            progress=progress,
            status=lambda: outcome.state_name,
        )
        return outcome

    def artifact_keys(self, flow_run_id: str) -> list[str]:
        with self._call(f"reading the artifacts of flow run {flow_run_id}"):
            artifacts = self._client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(flow_run_id)])
                )
            )
        return [artifact.key for artifact in artifacts if artifact.key]
