#!/usr/bin/env python3
"""A recording stand-in for GitHub's issue-comment endpoints, for the
container smoke test. Usage: github-stub.py PORT_FILE LOG_FILE
Listens on 127.0.0.1:0, writes the port to PORT_FILE, appends one JSON line
per request (method, path, auth present, body) to LOG_FILE. Comments are
answered in GitHub's documented shape: the real issue comment in
tests/fixtures/github, with this comment's id, body and URLs."""
import copy, json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port_file, log_file = sys.argv[1], sys.argv[2]
comments = []
fixture = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "github", "issue_comment.json")
template = json.load(open(fixture))

class Handler(BaseHTTPRequestHandler):
    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self):
        n = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        with open(log_file, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "auth": self.headers.get("authorization", "").startswith("Bearer "),
                                "body": body}) + "\n")
        return body

    def do_GET(self):
        self._record()
        if "/issues/" in self.path and self.path.split("?")[0].endswith("/comments"):
            return self._reply(200, comments)
        self._reply(404, {"message": "Not Found"})

    def do_POST(self):
        body = json.loads(self._record() or "{}")
        if self.path.endswith("/comments"):
            n = 1000 + len(comments)
            c = copy.deepcopy(template)
            c.update({"id": n, "node_id": "IC_smoke%d" % n, "body": body.get("body", ""),
                      "html_url": "https://github.com/octo/api/pull/2#issuecomment-%d" % n,
                      "url": "https://api.github.com/repos/octo/api/issues/comments/%d" % n,
                      "issue_url": "https://api.github.com/repos/octo/api/issues/2"})
            comments.append(c)
            return self._reply(201, c)
        self._reply(404, {"message": "Not Found"})

    do_PATCH = do_POST

    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
