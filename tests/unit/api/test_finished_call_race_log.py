"""grpcio's ERROR for a response that met a call core had just ended is demoted, nothing else."""

from __future__ import annotations

import logging

from grpc_server.interceptors.observability import DemoteFinishedCallRace


def record(message: str, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord("grpc._cython.cygrpc", level, __file__, 1, message, None, None)


def test_the_race_line_becomes_a_warning() -> None:
    line = record("ExecuteBatchError raised in core by servicer method [%s]")
    assert DemoteFinishedCallRace().filter(line)
    assert (line.levelno, line.levelname) == (logging.WARNING, "WARNING")


def test_other_errors_keep_their_level() -> None:
    line = record("Unexpected [%s] raised by servicer method [%s]")
    assert DemoteFinishedCallRace().filter(line)
    assert line.levelno == logging.ERROR
