"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions API, for the tests of
the server teachers' plumbing (cache, retries, rate limits). It is no teacher: its answer is a
fixed function of the prompt's last line of text, so a test can compute what it must get.

`script` holds answers to give before the normal ones, e.g. `[(429, {"Retry-After": "1"})]`;
`fail_after` makes every request after the first n answer 500. Each request is recorded with
its arrival time. `faults` holds misbehaviours to give before the normal answers, one a request
(`FAULTS`: a 200 that is no answer, a 401 echoing the Authorization header, a refusal of a
request field...). A request without `logprobs` gets a written answer (`written`): class 1 with
probability `p_second` of its text, drawn from its `seed`, written as `style` says.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import math
import threading
import time

MODEL = "stub-model"

# Misbehaviours on demand: status, raw body (bytes or a JSON-able object; `{auth}` is replaced
# by the request's Authorization header, as a careless server echoes it).
FAULTS = {
    "error200": (200, {"error": {"message": "overloaded, auth {auth}"}}),
    "no_logprobs": (200, "answer_without_logprobs"),
    "logprobs_null": (200, "answer_logprobs_null"),
    "no_choices": (200, {"choices": [], "model": MODEL}),
    "truncated": (200, b'{"choices": [{"message": {"content": "1"'),
    "html": (200, b"<html><body>502 Bad Gateway {auth}</body></html>"),
    "echo401": (401, {"error": {"message": "bad key; you sent: {auth}"}}),
    "echo500": (500, {"error": {"message": "internal error for {auth}"}}),
    "content_filter": (200, "refusal"),
    "refuse_logprobs": (403, {"error": {"message": "logprobs are not supported"}}),
    "refuse_temperature": (
        400,
        {"error": {"message": "Unsupported value: 'temperature' does not support 0.7"}},
    ),
}
STYLES = ("{a}", " {A}.", "Answer: {a}", "Let me think.\nThe text is clear.\n\n**{A}**")


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
        self.faults: list[str] = []
        self.auth_headers: list[str] = []  # the Authorization header of each POST
        self.models_down = False  # /models answers 503
        self.style = "{a}"  # how written answers are written (STYLES)
        self.unparseable_every = 0  # every n-th written answer says nothing usable
        self.reasoning_tokens = 0
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

            def _raw(self, status, data: bytes):
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path.endswith("/models") and stub.models_down:
                    self._send(503, {"error": "starting"})
                elif self.path.endswith("/models"):
                    self._send(200, {"data": [{"id": MODEL, "root": "/models/stub"}]})
                else:
                    self._send(404, {"error": "not found"})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with stub.lock:
                    stub.requests.append((time.monotonic(), self.path, body))
                    stub.auth_headers.append(self.headers.get("Authorization", ""))
                    n = len(stub.requests)
                    scripted = stub.script.pop(0) if stub.script else None
                    fault = stub.faults.pop(0) if stub.faults and not scripted else None
                if stub.delay:
                    time.sleep(stub.delay)
                if scripted is not None:
                    status, headers = scripted
                    return self._send(status, {"error": {"message": "scripted"}}, headers)
                if fault is not None:
                    return self._fault(fault, body)
                if stub.fail_after is not None and n > stub.fail_after:
                    return self._send(500, {"error": {"message": "the stub is down"}})
                if not self.path.endswith("/chat/completions"):
                    return self._send(404, {"error": "not found"})
                if not body.get("logprobs"):
                    return self._send(200, stub.written(body))
                self._send(200, stub.answer(body))

            def _fault(self, name, body):
                status, out = FAULTS[name]
                auth = self.headers.get("Authorization", "")
                if isinstance(out, str):
                    answer = stub.answer(body) if body.get("logprobs") else stub.written(body)
                    choice = answer["choices"][0]
                    if out == "answer_without_logprobs":
                        choice.pop("logprobs", None)
                    elif out == "answer_logprobs_null":
                        choice["logprobs"] = None
                    else:  # a content filter's refusal
                        choice.update(finish_reason="content_filter", logprobs=None)
                        choice["message"] = {"role": "assistant", "content": None}
                    return self._send(status, answer)
                if isinstance(out, bytes):
                    return self._raw(status, out.replace(b"{auth}", auth.encode()))
                text = json.dumps(out).replace("{auth}", auth)
                return self._raw(status, text.encode())

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

    def written(self, body: dict) -> dict:
        """A written answer: class 1 with probability p_second(text), drawn from the seed."""
        text = body["messages"][-1]["content"].splitlines()[-3]
        seed = int(body.get("seed") or 0)
        h = int(hashlib.sha256(f"{text}|{seed}".encode()).hexdigest()[:8], 16)
        cls = int((h % 10000) / 10000 < p_second(text))
        words = (
            ("negative", "positive")
            if "Label: negative" in body["messages"][-1]["content"]
            else ("0", "1")
        )
        content = self.style.format(a=words[cls], A=words[cls].capitalize())
        with self.lock:
            self.n_written = getattr(self, "n_written", 0) + 1
            n = self.n_written
        if self.unparseable_every and n % self.unparseable_every == 0:
            content = "I cannot decide."
        used = len(json.dumps(body["messages"])) // 4
        done = 3 + self.reasoning_tokens
        return {
            "model": MODEL,
            "choices": [
                {"message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
            ],
            "usage": {
                "prompt_tokens": used,
                "completion_tokens": done,
                "total_tokens": used + done,
                "completion_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
            },
        }

    def sent(self) -> list[dict]:
        """Bodies of the chat requests received (scripted and failed ones included)."""
        return [b for _, path, b in self.requests if path.endswith("/chat/completions")]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
