"""`wonder serve` as a real child process on port 0, for tests that must survive its crashes."""

from __future__ import annotations

import asyncio
import re
import sys
from dataclasses import dataclass, field

# The `serve` command alone (the full `wonder` CLI is wired by wonder.cli).
SERVE = """
import argparse, logging, sys
from grpc_server import cli as serve_cli
from wonder.settings import Settings
parser = argparse.ArgumentParser(prog="wonder")
serve_cli.register(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args(sys.argv[1:])
logging.basicConfig(level="INFO", format="%(levelname)s %(name)s: %(message)s")
sys.exit(args.handler(Settings(), args))
"""


@dataclass
class ServeProcess:
    process: asyncio.subprocess.Process
    port: int
    # stderr up to and including the "listening on" line.
    startup: list[str] = field(default_factory=list)


async def start_serve(database_url: str) -> ServeProcess:
    """Start the server and wait (60 s at most) until it says where it listens."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SERVE,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        env={"WONDER_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    startup: list[str] = []
    try:
        async with asyncio.timeout(60):
            while True:
                line = (await process.stderr.readline()).decode()
                assert line, "server exited before listening"
                startup.append(line)
                if found := re.search(r"listening on 127\.0\.0\.1:(\d+) \((insecure)", line):
                    return ServeProcess(process, int(found.group(1)), startup)
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
