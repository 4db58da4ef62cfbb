"""A real HTTP server on 127.0.0.1 speaking the OpenAI batch API (`/v1/files`, `/v1/batches`),
for the tests of the batch teacher's protocol handling. It is no teacher: each request's answer
is openai_stub's fixed function of the prompt, so a test can compute what it must get.

Batches answer asynchronously: each status poll finishes `step` more requests (`hold` stops
progress, as a slow provider does); with `expire_after` a batch expires once that many requests
are done, its output holding those; `refused` answers a batch's first requests HTTP 500.
"""

from __future__ import annotations

import email.parser
import http.server
import json
import threading
import types

from openai_stub import MODEL, Stub


class BatchStub:
    def __init__(self, step: int = 2):
        self.step = step
        self.hold = False
        self.expire_after: int | None = None
        self.refused = 0  # the first n requests of a batch are answered HTTP 500
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict] = {}
        self.polls = 0
        self.lock = threading.Lock()
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body, raw: bytes | None = None):
                data = raw if raw is not None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                with stub.lock:
                    if self.path.endswith("/models"):
                        return self._send(200, {"data": [{"id": MODEL}]})
                    if self.path.startswith("/v1/batches/"):
                        return self._send(200, stub.poll(self.path.rsplit("/", 1)[1]))
                    if self.path.endswith("/content"):
                        return self._send(200, None, stub.files[self.path.split("/")[3]])
                self._send(404, {"error": {"message": "not found"}})

            def do_POST(self):
                data = self.rfile.read(int(self.headers["Content-Length"]))
                with stub.lock:
                    if self.path == "/v1/files":
                        return self._send(200, stub.upload(self.headers["Content-Type"], data))
                    if self.path == "/v1/batches":
                        return self._send(200, stub.create(json.loads(data)))
                self._send(404, {"error": {"message": "not found"}})

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def upload(self, content_type: str, data: bytes) -> dict:
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser().parsebytes(head + data)
        part = next(p for p in message.get_payload() if p.get_filename())
        file_id = f"file-{len(self.files)}"
        self.files[file_id] = part.get_payload(decode=True)
        return {"id": file_id, "purpose": "batch"}

    def create(self, body: dict) -> dict:
        lines = [json.loads(ln) for ln in self.files[body["input_file_id"]].splitlines()]
        batch_id = f"batch_{len(self.batches)}"
        self.batches[batch_id] = {"id": batch_id, "lines": lines, "done": 0, "polls": 0}
        return self.view(batch_id, "validating")

    def poll(self, batch_id: str) -> dict:
        self.polls += 1
        b = self.batches[batch_id]
        b["polls"] += 1
        if b["polls"] == 1:
            return self.view(batch_id, "validating")
        if not self.hold:
            b["done"] = min(len(b["lines"]), b["done"] + self.step)
        if self.expire_after is not None and b["done"] >= self.expire_after:
            b["done"] = self.expire_after
            return self.finish(batch_id, "expired")
        if b["done"] == len(b["lines"]):
            return self.finish(batch_id, "completed")
        return self.view(batch_id, "in_progress")

    def finish(self, batch_id: str, status: str) -> dict:
        b = self.batches[batch_id]
        plain = types.SimpleNamespace(off_label=False)
        refused = {"status_code": 500, "body": {"error": {"message": "server error"}}}
        rows = [
            {
                "custom_id": ln["custom_id"],
                "response": refused
                if i < self.refused
                else {"status_code": 200, "body": Stub.answer(plain, ln["body"])},
                "error": None,
            }
            for i, ln in enumerate(b["lines"][: b["done"]])
        ]
        self.files[f"out-{batch_id}"] = "".join(json.dumps(r) + "\n" for r in rows).encode()
        return self.view(batch_id, status) | {"output_file_id": f"out-{batch_id}"}

    def view(self, batch_id: str, status: str) -> dict:
        b = self.batches[batch_id]
        counts = {"total": len(b["lines"]), "completed": b["done"], "failed": 0}
        return {"id": batch_id, "status": status, "request_counts": counts}

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
