"""Run the receiver on uvicorn in the foreground (``wonder webhooks serve``)."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from wonder.settings import Settings
from wonder.webhooks.receiver import build_receiver


def serve_forever(settings: Settings, host: str, port: int) -> int:
    """Bind (port 0: any free port), print the address, serve until SIGINT/SIGTERM."""
    app, engine, sources = build_receiver(settings)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        host=host,
        port=bound,
        log_level=settings.log_level.lower(),
        lifespan="off",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    names = ", ".join(f"/webhooks/{source.name}" for source in sources) or "none configured"
    print(f"webhook receiver on http://{host}:{bound} (sources: {names})", flush=True)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        asyncio.run(engine.dispose())
        for source in sources:
            close = getattr(source, "close", None)
            if callable(close):
                close()
    return 0
