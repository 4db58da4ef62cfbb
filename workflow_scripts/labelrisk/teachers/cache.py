"""A persistent cache of server teachers' answers, one row per request: a call is paid once.

Keyed by a hash of the endpoint, the model the server reports and the whole request body (the
rendered messages or prompt and every decoding setting), never by dataset, pool, member or job,
so a larger pool, a new member or a re-run sends only the prompts it has not sent before. Kept
after success. SQLite in WAL mode with a busy timeout: two annotation jobs of one machine may
read and write it at once (WAL needs every writer on one host; the server rules are local
rules for that reason). The API key is a request header and never reaches the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    created REAL NOT NULL
)
"""


class CacheError(RuntimeError):
    """The answer cache's file cannot be read."""


def request_key(endpoint: str, model: dict, body: dict) -> str:
    """The cache key of one request: endpoint, the server's model identity, the body."""
    text = json.dumps([endpoint, model, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class AnswerCache:
    def __init__(self, path: str | Path, busy_timeout: float = 60.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the job's threads, each access under the lock; autocommit,
        # so an answer is on disk as soon as `put` returns.
        self._db = sqlite3.connect(
            self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        self._lock = threading.Lock()
        with self._lock, self._damaged():
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            self._wal(busy_timeout)
            # A killed job loses no committed answer; only a power cut may lose the last few.
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute(SCHEMA)

    def _wal(self, busy_timeout: float) -> None:
        """Switch to WAL. Two jobs opening a new file at once can get "database is locked" here
        without SQLite's busy handler being asked, so the switch is retried within the timeout."""
        deadline = time.monotonic() + busy_timeout
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def get_many(self, keys: Iterable[str]) -> dict[str, dict]:
        """The cached responses among `keys`."""
        keys = list(dict.fromkeys(keys))
        out: dict[str, dict] = {}
        with self._lock, self._damaged():
            for start in range(0, len(keys), 500):  # SQLite's bound-parameter limit
                part = keys[start : start + 500]
                rows = self._db.execute(
                    f"SELECT key, response FROM answers WHERE key IN ({','.join('?' * len(part))})",
                    part,
                )
                out.update((k, json.loads(r)) for k, r in rows)
        return out

    def put(
        self, key: str, endpoint: str, request: dict, response: dict, replace: bool = False
    ) -> None:
        """Store one answer (an answer already stored, e.g. by a concurrent job, is kept unless
        `replace`: it was found unusable)."""
        verb = "REPLACE" if replace else "IGNORE"
        row = (key, endpoint, json.dumps(request), json.dumps(response), time.time())
        with self._lock, self._damaged():
            self._db.execute(f"INSERT OR {verb} INTO answers VALUES (?, ?, ?, ?, ?)", row)

    def __len__(self) -> int:
        with self._lock, self._damaged():
            return self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def __bool__(self) -> bool:
        return True  # an empty cache is still a cache

    @contextlib.contextmanager
    def _damaged(self):
        """A damaged file named, with the way out, instead of SQLite's bare message."""
        try:
            yield
        except sqlite3.DatabaseError as e:
            if isinstance(e, sqlite3.OperationalError) and "locked" in str(e):
                raise
            raise CacheError(
                f"the answer cache {self.path} is damaged ({e}). Move it aside "
                f"(`mv {self.path} {self.path}.damaged`) and re-run: its answers are asked "
                f"again. To keep them, `sqlite3 {self.path}.damaged .recover | sqlite3 "
                f"{self.path}` rebuilds what SQLite can still read"
            ) from e

    def close(self) -> None:
        with self._lock:
            self._db.close()
