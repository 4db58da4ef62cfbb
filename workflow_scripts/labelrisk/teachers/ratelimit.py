"""Requests- and tokens-per-minute limits of one server teacher, shared by its request threads.

A sliding window over the last 60 seconds: a request waits until one more request, and its
tokens, fit under the limits; once answered, its estimated tokens are replaced by what the
server reports it used. A `Retry-After` pauses every thread, not only the one that was told.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

log = logging.getLogger(__name__)

WINDOW = 60.0


class RateLimiter:
    def __init__(
        self,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        clock=time.monotonic,
        sleep=time.sleep,
    ):
        self.rpm, self.tpm = requests_per_minute, tokens_per_minute
        self.clock, self.sleep = clock, sleep
        self._sent: deque[list] = deque()  # [time, tokens] of each request in the window
        self._paused_until = 0.0
        self._lock = threading.Lock()
        # Wall-clock seconds during which at least one thread waited on the limits (the job's
        # record): threads waiting together count once.
        self.waited = 0.0
        self._waiting = 0
        self._since = 0.0

    def _wait(self, now: float, tokens: int) -> float:
        while self._sent and self._sent[0][0] <= now - WINDOW:
            self._sent.popleft()
        if now < self._paused_until:
            return self._paused_until - now
        if not self._sent:
            return 0.0  # a lone request larger than the token limit still goes (once a minute)
        until_oldest = self._sent[0][0] + WINDOW - now
        if self.rpm and len(self._sent) >= self.rpm:
            return until_oldest
        if self.tpm and sum(t for _, t in self._sent) + tokens > self.tpm:
            return until_oldest
        return 0.0

    def acquire(self, tokens: int) -> list:
        """Block until a request of `tokens` fits; returns its entry for `settle`."""
        while True:
            with self._lock:
                now = self.clock()
                wait = self._wait(now, tokens)
                if wait <= 0:
                    entry = [now, tokens]
                    self._sent.append(entry)
                    return entry
            self._enter()
            try:
                self.sleep(wait)
            finally:
                self._leave()

    def _enter(self) -> None:
        with self._lock:
            if self._waiting == 0:
                self._since = self.clock()
            self._waiting += 1

    def _leave(self) -> None:
        with self._lock:
            self._waiting -= 1
            if self._waiting == 0:
                self.waited += self.clock() - self._since

    def settle(self, entry: list, tokens: int) -> None:
        """Replace a request's estimated tokens by those it used."""
        with self._lock:
            entry[1] = tokens

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (a server's Retry-After)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self.clock() + seconds)
