"""Send a rule script's stdout, stderr, warnings and log records to the rule's log file."""

from __future__ import annotations

import logging
import sys


def to_log(path: str) -> None:
    stream = open(path, "w", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long as the job
    sys.stderr = sys.stdout = stream
    logging.basicConfig(
        stream=stream,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    logging.captureWarnings(True)
