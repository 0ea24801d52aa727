"""`wonder sandbox trestle`: the Trestle emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse

from pydantic import SecretStr

from wonder.settings import Settings

PUBLIC_SANDBOX_SECRET = "sandbox-secret"  # noqa: S105 (the documented sandbox default)


def register(emulators: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    trestle = emulators.add_parser("trestle", help="CoreLogic Trestle (RESO Web API) emulator")
    trestle.add_argument("--host", default=None, help="bind address (default: settings)")
    trestle.add_argument("--port", type=int, default=None, help="port (default: settings, 8701)")
    trestle.add_argument("--listings", type=int, default=None, help="number of listings")
    trestle.add_argument("--seed", type=int, default=None, help="data seed")
    trestle.add_argument("--profile", choices=("realistic", "fast"), default=None)
    trestle.add_argument("--token-ttl", type=int, default=None, help="token lifetime, seconds")
    trestle.set_defaults(handler=run_trestle)


def run_trestle(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.sandbox.cli import serve_until_interrupted
    from wonder.sandbox.trestle.config import TrestleSandboxConfig
    from wonder.sandbox.trestle.sandbox import TrestleSandbox

    defaults = settings.sandbox.trestle
    config = TrestleSandboxConfig(
        seed=args.seed if args.seed is not None else defaults.seed,
        listings=args.listings if args.listings is not None else defaults.listings,
        profile=args.profile or defaults.profile,
        client_id=settings.trestle.client_id,
        client_secret=settings.trestle.client_secret,
        token_ttl_seconds=args.token_ttl
        if args.token_ttl is not None
        else (defaults.token_ttl_seconds),
    )
    sandbox = TrestleSandbox(config)

    def banner(base_url: str) -> list[str]:
        return [
            f"Trestle sandbox on {base_url}",
            f"  token:  POST {base_url}/trestle/oidc/connect/token",
            f"  odata:  {base_url}/trestle/odata",
            f"  media:  {base_url}/trestle/media/Property/{{ListingKey}}/{{MediaKey}}.jpg",
            f"  control: {base_url}/_sandbox/{{advance,faults,stats,reset}}",
            f"  client_id={config.client_id} client_secret={_shown_secret(config.client_secret)}",
            f"  listings={config.listings} seed={config.seed} profile={config.profile}"
            " (Ctrl-C stops)",
        ]

    return serve_until_interrupted(
        sandbox.app,
        host=args.host or settings.sandbox.host,
        port=args.port if args.port is not None else defaults.port,
        banner=banner,
    )


def _shown_secret(secret: SecretStr) -> str:
    """The public default sandbox secret is printed; anything configured stays hidden."""
    if secret.get_secret_value() == PUBLIC_SANDBOX_SECRET:
        return PUBLIC_SANDBOX_SECRET
    return "(configured: WONDER_TRESTLE__CLIENT_SECRET)"
