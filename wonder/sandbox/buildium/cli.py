"""`wonder sandbox buildium`: the Buildium emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse

from wonder.settings import Settings

PUBLIC_SANDBOX_SECRET = "sandbox-secret"  # noqa: S105 (the documented sandbox default)


def register(emulators: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    buildium = emulators.add_parser("buildium", help="Buildium (property management) emulator")
    buildium.add_argument("--host", default=None, help="bind address (default: settings)")
    buildium.add_argument("--port", type=int, default=None, help="port (default: settings, 8702)")
    buildium.add_argument("--properties", type=int, default=None, help="number of rentals")
    buildium.add_argument("--units", type=int, default=None, help="number of units")
    buildium.add_argument("--leases", type=int, default=None, help="number of leases")
    buildium.add_argument("--seed", type=int, default=None, help="data seed")
    buildium.add_argument("--profile", choices=("realistic", "fast"), default=None)
    buildium.add_argument("--webhook-url", default=None, help="send signed events here")
    buildium.set_defaults(handler=run_buildium)


def run_buildium(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.sandbox.buildium.config import ApiKey, BuildiumSandboxConfig, default_keys
    from wonder.sandbox.buildium.sandbox import BuildiumSandbox
    from wonder.sandbox.cli import serve_until_interrupted

    defaults = settings.sandbox.buildium
    keys = [
        ApiKey(
            client_id=settings.buildium.client_id,
            client_secret=settings.buildium.client_secret,
        ),
        *(k for k in default_keys() if k.read_only),
    ]
    config = BuildiumSandboxConfig(
        seed=args.seed if args.seed is not None else defaults.seed,
        properties=args.properties if args.properties is not None else defaults.properties,
        units=args.units if args.units is not None else defaults.units,
        leases=args.leases if args.leases is not None else defaults.leases,
        profile=args.profile or defaults.profile,
        keys=keys,
    )
    sandbox = BuildiumSandbox(config)
    if args.webhook_url:
        secret = defaults.webhook_secret.get_secret_value()
        sandbox.set_webhook(args.webhook_url, secret, deliver_in_background=True)

    def banner(base_url: str) -> list[str]:
        shown = settings.buildium.client_secret.get_secret_value()
        if shown != PUBLIC_SANDBOX_SECRET:
            shown = "(configured: WONDER_BUILDIUM__CLIENT_SECRET)"
        return [
            f"Buildium sandbox on {base_url}",
            f"  api:     {base_url}/v1/rentals, /v1/leases, ... (x-buildium-client-id/-secret)",
            f"  control: {base_url}/_sandbox/"
            "{advance,faults,stats,reset,webhooks,requests,truth}",
            f"  client_id={settings.buildium.client_id} client_secret={shown}"
            " (read-only key: sandbox-readonly)",
            f"  properties={config.properties} units={config.units} leases={config.leases}"
            f" seed={config.seed} profile={config.profile}"
            f" ({config.rate_per_second()} requests/s per account; Ctrl-C stops)",
        ]

    try:
        return serve_until_interrupted(
            sandbox.app,
            host=args.host or settings.sandbox.host,
            port=args.port if args.port is not None else defaults.port,
            banner=banner,
        )
    finally:
        sandbox.close()
