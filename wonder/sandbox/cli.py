"""`wonder sandbox trestle ...`: run an emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType

from pydantic import SecretStr

from wonder.settings import Settings

PUBLIC_SANDBOX_SECRET = "sandbox-secret"  # noqa: S105 (the documented sandbox default)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sandbox = subparsers.add_parser("sandbox", help="run a local emulator of an external API")
    emulators = sandbox.add_subparsers(dest="emulator", metavar="EMULATOR", required=True)
    trestle = emulators.add_parser("trestle", help="CoreLogic Trestle (RESO Web API) emulator")
    trestle.add_argument("--host", default=None, help="bind address (default: settings)")
    trestle.add_argument("--port", type=int, default=None, help="port (default: settings, 8701)")
    trestle.add_argument("--listings", type=int, default=None, help="number of listings")
    trestle.add_argument("--seed", type=int, default=None, help="data seed")
    trestle.add_argument("--profile", choices=("realistic", "fast"), default=None)
    trestle.add_argument("--token-ttl", type=int, default=None, help="token lifetime, seconds")
    trestle.set_defaults(handler=run_trestle)


def run_trestle(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.sandbox.server import serve_in_thread
    from wonder.sandbox.trestle import TrestleSandbox, TrestleSandboxConfig

    defaults = settings.sandbox
    config = TrestleSandboxConfig(
        seed=args.seed if args.seed is not None else defaults.seed,
        listings=args.listings if args.listings is not None else defaults.listings,
        profile=args.profile or defaults.profile,
        client_id=settings.trestle.client_id,
        client_secret=settings.trestle.client_secret,
        **({"token_ttl_seconds": args.token_ttl} if args.token_ttl is not None else {}),
    )
    sandbox = TrestleSandbox(config)
    host = args.host or defaults.host
    port = args.port if args.port is not None else defaults.trestle_port
    with serve_in_thread(sandbox.app, host=host, port=port, log_level="info") as server:
        print(f"Trestle sandbox on {server.base_url}", flush=True)
        print(f"  token:  POST {server.base_url}/trestle/oidc/connect/token", flush=True)
        print(f"  odata:  {server.base_url}/trestle/odata", flush=True)
        secret = _shown_secret(config.client_secret)
        print(f"  client_id={config.client_id} client_secret={secret}", flush=True)
        print(
            f"  listings={config.listings} seed={config.seed} profile={config.profile}"
            " (Ctrl-C stops)",
            flush=True,
        )
        previous = signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly when terminated too
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping", flush=True)
        finally:
            signal.signal(signal.SIGTERM, previous)
    return 0


def _shown_secret(secret: SecretStr) -> str:
    """The public default sandbox secret is printed; anything configured stays hidden."""
    if secret.get_secret_value() == PUBLIC_SANDBOX_SECRET:
        return PUBLIC_SANDBOX_SECRET
    return "(configured: WONDER_TRESTLE__CLIENT_SECRET)"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
