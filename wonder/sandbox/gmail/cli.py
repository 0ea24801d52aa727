"""`wonder sandbox gmail`: the Gmail emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse

from wonder.settings import Settings


def register(emulators: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gmail = emulators.add_parser("gmail", help="Gmail API emulator (REST, batch, history, push)")
    gmail.add_argument("--host", default=None, help="bind address (default: settings)")
    gmail.add_argument("--port", type=int, default=None, help="port (default: settings, 8703)")
    gmail.add_argument("--messages", type=int, default=None, help="seeded messages per mailbox")
    gmail.add_argument("--seed", type=int, default=None, help="data seed")
    gmail.add_argument("--profile", choices=("realistic", "fast"), default=None)
    gmail.add_argument("--regime", choices=("legacy", "current"), default=None, help="quota regime")
    gmail.add_argument("--push-url", default=None, help="deliver Pub/Sub push to this URL")
    gmail.set_defaults(handler=run_gmail)


def run_gmail(settings: Settings, args: argparse.Namespace) -> int:
    from wonder.sandbox.cli import serve_until_interrupted
    from wonder.sandbox.gmail.config import GmailSandboxConfig
    from wonder.sandbox.gmail.sandbox import GmailSandbox

    defaults = settings.sandbox.gmail
    config = GmailSandboxConfig(
        seed=args.seed if args.seed is not None else defaults.seed,
        messages_per_mailbox=args.messages
        if args.messages is not None
        else defaults.messages_per_mailbox,
        profile=args.profile or defaults.profile,
        regime=args.regime or defaults.regime,
        listing_seed=settings.sandbox.trestle.seed,
        listings=max(1, settings.sandbox.trestle.listings),
    )
    sandbox = GmailSandbox(config)
    if args.push_url:
        sandbox.state.set_push_target(args.push_url, None)
    sandbox.state.outbox.start()

    def banner(base_url: str) -> list[str]:
        return [
            f"Gmail sandbox on {base_url}",
            f"  api:     {base_url}/gmail/v1/users/{{userId}}/... (discovery: gmail v1)",
            f"  batch:   POST {base_url}/batch/gmail/v1",
            f"  certs:   {base_url}/oauth2/v1/certs (push JWT keys; JWKS at /oauth2/v3/certs)",
            f"  control: {base_url}/_sandbox/{{advance,faults,stats,reset}},"
            " /_sandbox/gmail/{messages,push,truth,pump}",
            f"  token:   Bearer {config.tokens[0]}  mailboxes: {', '.join(config.mailboxes)}",
            f"  seed={config.seed} messages/mailbox={config.messages_per_mailbox}"
            f" profile={config.profile} regime={config.regime} (Ctrl-C stops)",
        ]

    try:
        return serve_until_interrupted(
            sandbox.app,
            host=args.host or settings.sandbox.host,
            port=args.port if args.port is not None else defaults.port,
            banner=banner,
        )
    finally:
        sandbox.state.outbox.stop()
