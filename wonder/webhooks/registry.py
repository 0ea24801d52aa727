"""Where the edges plug in, by entry point (installed package metadata), so the core names none
of them:

- ``wonder.webhook_handlers``: ``<source> = "module:factory"``, a ``factory(settings)`` returning
  that source's ``InboxHandler`` (the Buildium sync slice registers ``buildium``);
- ``wonder.webhook_sinks``: ``<name> = "module:factory"``, a ``factory(settings)`` returning an
  ``EventSink`` (``flows.webhooks`` registers ``prefect``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any, cast

from wonder.settings import Settings
from wonder.webhooks.ports import EventSink, InboxHandler, NullSink

HANDLER_GROUP = "wonder.webhook_handlers"
SINK_GROUP = "wonder.webhook_sinks"


def installed_handlers(settings: Settings) -> dict[str, InboxHandler]:
    """Every installed source handler, by source name."""
    handlers: dict[str, InboxHandler] = {}
    for entry in entry_points(group=HANDLER_GROUP):
        handlers[entry.name] = cast(InboxHandler, entry.load()(settings))
    return handlers


def event_sink(settings: Settings, environ: Mapping[str, str] = os.environ) -> EventSink:
    """The sink ``settings.webhooks.event_sink`` names; ``auto`` is Prefect when a Prefect API
    is configured (PREFECT_API_URL) and installed, else none."""
    name = settings.webhooks.event_sink
    if name == "none":
        return NullSink()
    found = {entry.name: entry for entry in entry_points(group=SINK_GROUP)}
    if name == "auto":
        if not environ.get("PREFECT_API_URL") or "prefect" not in found:
            return NullSink()
        name = "prefect"
    if name not in found:
        raise ValueError(f"no {SINK_GROUP} entry point named {name!r} (have: {sorted(found)})")
    factory: Any = found[name].load()
    return cast(EventSink, factory(settings))
