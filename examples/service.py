#!/usr/bin/env python3
"""A small model-serving stand-in to try perfguard's HTTP phases against.

    python3 examples/service.py --port 8080

Routes:
  GET  /health               200 once ready (READY_AFTER seconds after start)
  POST /v1/sessions          creates a conversation: {"id": "s1"}
  POST /v1/chat              {"session", "model", "message"} -> a reply that
                             recalls the conversation so far; switching the
                             loaded model costs SWITCH_MS milliseconds
  GET  /alloc?mb=N           allocates and keeps N MB (to watch memory)
  GET  /                     a small text page

Environment: READY_AFTER (seconds, default 0), SWITCH_MS (default 150),
WORK_MS (per chat request, default 5), PID_FILE (writes the pid there).
Standard library only; HTTP/1.1 keep-alive; stops on SIGTERM.
"""

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

STARTED = time.monotonic()
READY_AFTER = float(os.environ.get("READY_AFTER", "0"))
SWITCH_MS = float(os.environ.get("SWITCH_MS", "150"))
WORK_MS = float(os.environ.get("WORK_MS", "5"))

lock = threading.Lock()
state = {"loaded": None, "sessions": {}, "next": 1, "kept": []}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's
        # algorithm and delayed ACKs add ~40 ms to every response.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_json(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return None

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/health":
            if time.monotonic() - STARTED < READY_AFTER:
                return self.reply(503, {"status": "starting"})
            return self.reply(200, {"status": "ok"})
        if url.path == "/alloc":
            mb = int(parse_qs(url.query).get("mb", ["1"])[0])
            with lock:
                state["kept"].append(b"x" * (mb * 1024 * 1024))
            return self.reply(200, {"kept_mb": mb})
        if url.path == "/":
            return self.reply(200, b"hello from the example service\n", "text/plain")
        return self.reply(404, {"error": "not found"})

    def do_POST(self):
        url = urlparse(self.path)
        body = self.read_json()
        if body is None:
            return self.reply(400, {"error": "the body is not JSON"})
        if url.path == "/v1/sessions":
            with lock:
                sid = "s%d" % state["next"]
                state["next"] += 1
                state["sessions"][sid] = []
            return self.reply(201, {"id": sid})
        if url.path == "/v1/chat":
            sid, model = body.get("session"), body.get("model", "default")
            with lock:
                history = state["sessions"].get(sid)
                if history is None:
                    return self.reply(404, {"error": "no such session"})
                switching = state["loaded"] != model
                state["loaded"] = model
                history.append(body.get("message", ""))
                context = list(history)
            # Loading another model takes a while; serving one is quick.
            time.sleep(((SWITCH_MS if switching else 0) + WORK_MS) / 1000)
            return self.reply(200, {
                "model": model,
                "turns": len(context),
                "first": context[0],
                "reply": "%s heard: %s" % (model, " | ".join(context)),
            })
        return self.reply(404, {"error": "not found"})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    if os.environ.get("PID_FILE"):
        with open(os.environ["PID_FILE"], "w") as f:
            f.write(str(os.getpid()))
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print("listening on 127.0.0.1:%d" % args.port, file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
