"""The edge every flow shares: settings with their secrets, the exclusive slot, the database,
events. Slice flows (``flows/<slice>.py``) compose these; they never reach Prefect otherwise.

- Secrets: any ``SecretStr`` setting ``x`` with a sibling ``x_block`` setting (e.g.
  ``trestle.client_secret`` / ``trestle.client_secret_block``) is read from that Prefect Secret
  block when the block is named, in the environment or as a flow parameter; otherwise from the
  environment / ``.env`` as usual.
- Slots: a Prefect global concurrency limit taken strictly by name (a missing limit is an error,
  not a silent no-op), so two runs that must not overlap never do, whichever worker runs them.
- Governors (shared request budgets across runs) are in ``flows/governor.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from prefect.blocks.system import Secret
from prefect.concurrency.sync import concurrency
from prefect.events import emit_event
from pydantic import BaseModel, SecretStr
from sqlalchemy.orm import Session, sessionmaker

from wonder.db.engine import make_engine, session_factory
from wonder.db.readiness import require_ready
from wonder.settings import Settings

log = logging.getLogger("wonder.flows")

BLOCK_SUFFIX = "_block"
EVENT_RESOURCE_PREFIX = "wonder"


def load_settings(secret_blocks: Mapping[str, str | None] | None = None) -> Settings:
    """Settings from the environment / .env, each secret from its Secret block if one is named.

    ``secret_blocks`` maps a secret's dotted path (``"trestle.client_secret"``) to a block name;
    a name given there (a flow parameter) wins over the ``*_block`` setting.
    """
    overrides = {path: name for path, name in (secret_blocks or {}).items() if name}
    resolved = _with_block_secrets(Settings(), "", overrides)
    assert isinstance(resolved, Settings)
    return resolved


def _with_block_secrets(model: BaseModel, prefix: str, overrides: Mapping[str, str]) -> BaseModel:
    updates: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            updated = _with_block_secrets(value, f"{path}.", overrides)
            if updated is not value:
                updates[name] = updated
        elif isinstance(value, SecretStr):
            block_name = overrides.get(path) or getattr(model, name + BLOCK_SUFFIX, None)
            if block_name:
                updates[name] = SecretStr(_read_secret_block(block_name))
    return model.model_copy(update=updates) if updates else model


def _read_secret_block(name: str) -> str:
    block = Secret.load(name)
    assert isinstance(block, Secret)  # the sync call: a block, not a coroutine
    return str(block.get())


@contextmanager
def exclusive(slot_name: str) -> Iterator[None]:
    """Hold the one slot of the global concurrency limit ``slot_name`` for the block.

    Create it once per Prefect server: ``prefect gcl create <name> --limit 1`` (``make demo``
    does for the slots the deployments use).
    """
    with concurrency(
        slot_name,
        occupy=1,
        strict=True,
        # A long first load must not die on one failed lease renewal.
        raise_on_lease_renewal_failure=False,
    ):
        yield


@contextmanager
def database(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """A session factory on ``settings.database_url``, its engine disposed when the block ends.

    An unreachable or unmigrated database fails the run at once with one line
    (``DatabaseNotReady``: the URL and the fix), before any work or any file is created.
    """
    require_ready(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def emit(event: str, resource_id: str, payload: Mapping[str, Any] | None = None) -> None:
    """A Prefect event (``wonder.<slice>.<what>``) about ``wonder.<resource_id>``, for automations
    (e.g. a lead classified → follow-up); never fails the run if the event cannot be sent."""
    try:
        emit_event(
            event=event,
            resource={"prefect.resource.id": f"{EVENT_RESOURCE_PREFIX}.{resource_id}"},
            payload=dict(payload or {}),
        )
    except Exception:  # events are advisory: the data is already committed
        log.warning("could not emit event %s for %s", event, resource_id, exc_info=True)
