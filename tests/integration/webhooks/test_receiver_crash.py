"""`wonder webhooks serve` as a process: killed with SIGKILL right after its 2xx, restarted on
the same database, the event is in the inbox exactly once (the answer followed the commit)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.integration.cli.wonder_process import ROOT
from tests.webhook_fixtures import SECRET, lease_event, signed_headers
from wonder.db.models import WebhookInboxEvent


def start(database_url: str, cwd: Path) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "WONDER_ENV_FILE": "",
        "WONDER_DATABASE_URL": database_url,
        "WONDER_WEBHOOKS__BUILDIUM_SECRET": SECRET,
        "WONDER_WEBHOOKS__EVENT_SINK": "none",
        "WONDER_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "wonder.cli", "webhooks", "serve", "--port", "0"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"on (http://[\d.]+:\d+) \(sources: /webhooks/buildium\)", line)
    assert found, line
    url = found.group(1)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise
            time.sleep(0.05)


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def test_a_receiver_killed_after_its_2xx_loses_no_event(engine, database_url, tmp_path) -> None:
    bodies = [lease_event(lease) for lease in (7, 8, 9)]
    process, url = start(database_url, tmp_path)
    try:
        for body in bodies:
            answer = httpx.post(
                url + "/webhooks/buildium", content=body, headers=signed_headers(body), timeout=10
            )
            assert answer.status_code == 200
        kill(process)  # at once, no graceful shutdown
        process, url = start(database_url, tmp_path)
        # Buildium retries what it thinks failed: the same event again is still one row.
        again = httpx.post(
            url + "/webhooks/buildium",
            content=bodies[0],
            headers=signed_headers(bodies[0]),
            timeout=10,
        )
        assert again.status_code == 200
    finally:
        kill(process)
    with Session(engine) as session:
        rows = session.scalars(select(WebhookInboxEvent.entity_key)).all()
    assert sorted(rows) == ["lease.7", "lease.8", "lease.9"]
