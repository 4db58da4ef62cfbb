"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions API, for the tests of
the server teachers' plumbing (cache, retries, rate limits). It is no teacher: its answer is a
fixed function of the prompt's last line of text, so a test can compute what it must get.

`script` holds answers to give before the normal ones, e.g. `[(429, {"Retry-After": "1"})]`;
`fail_after` makes every request after the first n answer 500. Each request is recorded with
its arrival time.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import math
import threading
import time

MODEL = "stub-model"


def p_second(text: str) -> float:
    """The stub's probability of the second answer for a prompt, from a hash of its text."""
    h = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
    return 0.05 + 0.9 * (h % 1000) / 999


class Stub:
    def __init__(self, delay: float = 0.0):
        self.requests: list[tuple[float, str, dict]] = []
        self.script: list[tuple[int, dict]] = []
        self.fail_after: int | None = None
        self.off_label: bool = False  # answer tokens that are no label at all
        self.delay = delay
        self.lock = threading.Lock()
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body, headers=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path.endswith("/models"):
                    self._send(200, {"data": [{"id": MODEL, "root": "/models/stub"}]})
                else:
                    self._send(404, {"error": "not found"})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with stub.lock:
                    stub.requests.append((time.monotonic(), self.path, body))
                    n = len(stub.requests)
                    scripted = stub.script.pop(0) if stub.script else None
                if stub.delay:
                    time.sleep(stub.delay)
                if scripted is not None:
                    status, headers = scripted
                    return self._send(status, {"error": {"message": "scripted"}}, headers)
                if stub.fail_after is not None and n > stub.fail_after:
                    return self._send(500, {"error": {"message": "the stub is down"}})
                if not self.path.endswith("/chat/completions"):
                    return self._send(404, {"error": "not found"})
                self._send(200, stub.answer(body))

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def answer(self, body: dict) -> dict:
        text = body["messages"][-1]["content"].splitlines()[-3]  # "Text to classify: ..."
        choice = (body.get("structured_outputs") or {}).get("choice") or ["0", "1"]
        p = p_second(text)
        top = [(choice[1], math.log(p)), (choice[0], math.log(1 - p))]
        if self.off_label:
            top = [("The", math.log(0.7)), ("I", math.log(0.3))]
        top.sort(key=lambda t: -t[1])
        tokens = [{"token": t, "logprob": lp, "bytes": list(t.encode())} for t, lp in top]
        used = len(json.dumps(body["messages"])) // 4
        return {
            "model": MODEL,
            "choices": [
                {
                    "message": {"role": "assistant", "content": top[0][0]},
                    "logprobs": {"content": [{**tokens[0], "top_logprobs": tokens}]},
                }
            ],
            "usage": {"prompt_tokens": used, "completion_tokens": 1, "total_tokens": used + 1},
        }

    def sent(self) -> list[dict]:
        """Bodies of the chat requests received (scripted and failed ones included)."""
        return [b for _, path, b in self.requests if path.endswith("/chat/completions")]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
