"""The few Prefect REST calls the demo needs (health, deployments, flow runs), over httpx."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from devstack.processes import DemoError

_ATTEMPTS = 6
TERMINAL_STATES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})


@dataclass(frozen=True)
class FlowRunOutcome:
    id: str
    name: str
    state_type: str
    state_name: str
    message: str | None

    @property
    def succeeded(self) -> bool:
        return self.state_type == "COMPLETED"


class PrefectApi:
    def __init__(self, api_url: str, *, timeout: float = 10.0) -> None:
        self.api_url = api_url.rstrip("/")
        self._http = httpx.Client(base_url=self.api_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PrefectApi:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def healthy(self) -> bool:
        try:
            return self._http.get("/health").status_code == 200
        except httpx.HTTPError:
            return False

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call; a Prefect server on SQLite answers 503 now and then when its database
        is locked (PrefectHQ/prefect #18934), so 503s and dropped connections are retried."""
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if attempt == _ATTEMPTS:
                    raise DemoError(f"Prefect API unreachable: {exc.__class__.__name__}") from exc
            else:
                if response.status_code != 503 or attempt == _ATTEMPTS:
                    return self._json(response)
            time.sleep(0.5 * attempt)
        raise AssertionError("unreachable")

    def _json(self, response: httpx.Response) -> Any:
        if response.is_error:
            raise DemoError(
                f"Prefect API {response.request.method} {response.request.url.path} "
                f"answered {response.status_code}: {response.text[:300]}"
            )
        return response.json()

    def work_pool_exists(self, name: str) -> bool:
        try:
            self._request("GET", f"/work_pools/{name}")
        except DemoError as exc:
            if " answered 404" in str(exc):
                return False
            raise
        return True

    def ensure_concurrency_limit(self, name: str, limit: int) -> None:
        """Create the global concurrency limit ``name`` unless it exists (flows use it strictly)."""
        try:
            self._request("GET", f"/v2/concurrency_limits/{name}")
        except DemoError as exc:
            if " answered 404" not in str(exc):
                raise
            self._request(
                "POST",
                "/v2/concurrency_limits/",
                json={"name": name, "limit": limit, "active": True},
            )

    def deployment_id(self, flow_name: str, deployment_name: str) -> str:
        body = self._request("GET", f"/deployments/name/{flow_name}/{deployment_name}")
        return str(body["id"])

    def set_paused(self, deployment_id: str, paused: bool) -> None:
        action = "pause_deployment" if paused else "resume_deployment"
        self._request("POST", f"/deployments/{deployment_id}/{action}")

    def run_deployment(self, deployment_id: str, parameters: dict[str, Any] | None = None) -> str:
        body = self._request(
            "POST",
            f"/deployments/{deployment_id}/create_flow_run",
            json={"parameters": parameters or {}},
        )
        return str(body["id"])

    def flow_run(self, flow_run_id: str) -> FlowRunOutcome:
        body = self._request("GET", f"/flow_runs/{flow_run_id}")
        state = body.get("state") or {}
        return FlowRunOutcome(
            id=flow_run_id,
            name=str(body.get("name")),
            state_type=str(state.get("type", "PENDING")),
            state_name=str(state.get("name", "Pending")),
            message=state.get("message"),
        )

    def wait_for_flow_run(
        self, flow_run_id: str, *, timeout: float, interval: float = 0.5
    ) -> FlowRunOutcome:
        deadline = time.monotonic() + timeout
        while True:
            outcome = self.flow_run(flow_run_id)
            # A failed attempt that the flow will retry later waits as AwaitingRetry (type
            # SCHEDULED): for a caller waiting on this run, that is a failure to report now.
            if outcome.state_type in TERMINAL_STATES or outcome.state_name == "AwaitingRetry":
                return outcome
            if time.monotonic() > deadline:
                raise DemoError(
                    f"flow run {outcome.name} still {outcome.state_name} after {timeout:.0f} s"
                )
            time.sleep(interval)

    def artifact_keys(self, flow_run_id: str) -> list[str]:
        body = self._request(
            "POST",
            "/artifacts/filter",
            json={"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}},
        )
        return [str(a["key"]) for a in body if a.get("key")]
