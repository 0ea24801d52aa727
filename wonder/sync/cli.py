"""`wonder buildium sync | reconcile`: the Buildium mirror and the PM Balance Sheet by hand.

Registered as the ``36-buildium`` entry point of ``wonder.commands`` (pyproject.toml). The same
steps run as the ``buildium-incremental`` and ``buildium-reconciliation`` deployments.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from wonder.db.cli import requires_database
from wonder.settings import Settings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "buildium", help="Buildium mirror: sync rentals, units, owners, tenants, leases, ledgers"
    )
    commands = parser.add_subparsers(dest="buildium_command", metavar="COMMAND", required=True)
    sync = commands.add_parser(
        "sync",
        help="mirror what changed since the cursors (everything the first time), then reconcile",
    )
    sync.add_argument(
        "--full",
        action="store_true",
        help="read every record, not only the changed ones (finds deletes by ID-set census)",
    )
    sync.add_argument(
        "--reread-ledgers",
        action="store_true",
        help="re-read every live lease's ledger (the nightly check)",
    )
    sync.set_defaults(handler=_sync)
    commands.add_parser(
        "reconcile",
        help="compare our balances with Buildium's outstanding balances; store the balance sheet",
    ).set_defaults(handler=_reconcile)


@requires_database
def _sync(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.sync.runner import plan

    return _run(settings, plan(full=args.full, reread_ledgers=args.reread_ledgers))


@requires_database
def _reconcile(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.sync.runner import plan

    return _run(settings, plan()[-1:])


def _run(settings: Settings, steps: Any) -> int:
    from wonder.clients.errors import ClientError
    from wonder.db.engine import make_engine, session_factory
    from wonder.sync.runner import Step, StepReport, buildium_source, run_all

    def show(step: Step, report: StepReport) -> None:
        print(f"{step.name}: {report.summary()} ({report.requests} requests)", flush=True)

    engine = make_engine(settings.database_url)
    try:
        with buildium_source(settings) as source:
            print(f"Buildium at {settings.buildium.base_url}: {len(steps)} steps", flush=True)
            reports = run_all(steps, source, session_factory(engine), settings, on_step=show)
    except ClientError as error:
        print(f"error: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    outcome = reports[-1].reconciliation
    if outcome is not None and not outcome.result.matched:
        print(f"reconciliation run {outcome.run_id}: {outcome.result.summary()}", file=sys.stderr)
        return 1
    return 0
