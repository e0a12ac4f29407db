#!/usr/bin/env python3
"""Renders docs/NIGHTLY.md's examples by running the real thing: a git
repository whose baseline branch holds twelve dated nights, then three
nightly runs of `perfguard check --nightly` against a local stand-in for
GitHub's issues endpoints and a webhook receiver. Prints each channel's
output as Markdown; with --update, replaces the examples in docs/NIGHTLY.md.
Usage: scripts/nightly-examples.py [--update] [PERFGUARD_BINARY]"""
import contextlib, copy, datetime, io, json, os, re, subprocess, sys, tempfile, threading

update = "--update" in sys.argv
sys.argv = [a for a in sys.argv if a != "--update"]
captured = io.StringIO()
if update:
    contextlib.redirect_stdout(captured).__enter__()
from http.server import BaseHTTPRequestHandler, HTTPServer

docs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "NIGHTLY.md")
perfguard = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/debug/perfguard")
fixture = json.load(open(os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "github", "issue.json")))
issues, comments, hooks = [], [], []


class Handler(BaseHTTPRequestHandler):
    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        n = int(self.headers.get("content-length") or 0)
        return json.loads(self.rfile.read(n) or b"{}")

    def _issue(self, i):
        v = copy.deepcopy(fixture)
        v.update({k: i[k] for k in ("number", "title", "body", "state", "state_reason")})
        v["labels"] = [{"id": 1, "node_id": "LA_1", "url": "https://api.github.com/repos/octo/api/labels/x",
                        "name": l, "description": None, "color": "ededed", "default": False} for l in i["labels"]]
        return v

    def do_GET(self):
        path = self.path.split("?")[0]
        if path.endswith("/issues"):
            return self._reply(200, [self._issue(i) for i in issues if i["state"] == "open"])
        self._reply(404, {"message": "Not Found"})

    def do_POST(self):
        body = self._body()
        path = self.path.split("?")[0]
        if path.startswith("/hook"):
            hooks.append(body)
            return self._reply(200, {})
        if path.endswith("/issues"):
            i = {"number": 41 + len(issues), "title": body["title"], "body": body.get("body", ""),
                 "labels": body.get("labels", []), "state": "open", "state_reason": None}
            issues.append(i)
            return self._reply(201, self._issue(i))
        if path.endswith("/comments"):
            comments.append(body["body"])
            c = {"id": len(comments), "node_id": "IC", "url": "https://api.github.com/x", "html_url": "https://github.com/x",
                 "body": body["body"], "user": fixture["user"], "created_at": fixture["created_at"],
                 "updated_at": fixture["updated_at"], "author_association": "OWNER"}
            return self._reply(201, c)
        self._reply(404, {"message": "Not Found"})

    def do_PATCH(self):
        body = self._body()
        n = int(self.path.split("?")[0].rsplit("/", 1)[1])
        i = next(i for i in issues if i["number"] == n)
        for k in ("body", "state", "state_reason"):
            if k in body:
                i[k] = body[k]
        self._reply(200, self._issue(i))

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = "http://127.0.0.1:%d" % server.server_address[1]

work = tempfile.mkdtemp()
gitconfig = os.path.join(work, "gitconfig")
open(gitconfig, "w").close()
env = dict(os.environ, GIT_CONFIG_GLOBAL=gitconfig, GIT_CONFIG_NOSYSTEM="1", NO_COLOR="1",
           GIT_AUTHOR_NAME="dev", GIT_AUTHOR_EMAIL="dev@example.com",
           GIT_COMMITTER_NAME="dev", GIT_COMMITTER_EMAIL="dev@example.com")
for k in list(env):
    if k.startswith(("GITHUB_", "INPUT_")) or k == "CI":
        del env[k]
repo = os.path.join(work, "api")
os.mkdir(repo)


def sh(*args, extra=None):
    return subprocess.run(args, cwd=repo, env=dict(env, **(extra or {})), capture_output=True, text=True)


sh("git", "init", "-q", "-b", "main")
open(os.path.join(repo, "perfguard.toml"), "w").write("""[suite]
name = "api"
environment = "ci"

# A short window, so that one evening's runs are its recent tenth.
[[slo]]
metric = "bench/error_rate"
objective = "error_rate <= 1%"
window = "10h"

[notify]
on = "critical"
webhook = ["env:SLACK_WEBHOOK_URL"]
pushgateway = "env:PUSHGATEWAY_URL"
issue = true

[[phase]]
name = "bench"
kind = "ingest"
format = "generic"
files = ["bench.json"]
""")


def commit(parse, render, errors, message):
    benches = [{"name": n, "value": v, "unit": "ms", "samples": [v * (1 + (i % 5) * 2e-3) for i in range(10)]}
               for n, v in (("parse", parse), ("render", render))]
    benches.append({"name": "error_rate", "value": errors, "unit": "ratio", "direction": "lower"})
    open(os.path.join(repo, "bench.json"), "w").write(json.dumps({"benchmarks": benches}))
    sh("git", "add", "-A")
    sh("git", "commit", "-q", "--allow-empty", "-m", message)
    return sh("git", "rev-parse", "HEAD").stdout.strip()


now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
for night in range(12):
    commit(100.0 if night < 6 else 135.0, 40.0, 0.001, "night %d" % night)
    sh(perfguard, "run", "-o", "night.json")
    run = json.load(open(os.path.join(repo, "night.json")))
    at = (now - datetime.timedelta(days=12 - night)).isoformat().replace("+00:00", "Z")
    run["started_at"] = run["finished_at"] = at
    json.dump(run, open(os.path.join(repo, "night.json"), "w"))
    sh(perfguard, "baseline", "save", "night.json")

# The secret webhook URL lives in the environment only.
nightly_env = {"GITHUB_REPOSITORY": "octo/api", "GITHUB_API_URL": base, "GITHUB_SERVER_URL": "https://github.com",
               "GITHUB_TOKEN": "ghs_example", "SLACK_WEBHOOK_URL": base + "/hook/slack/T000/B000/secret",
               "JSON_WEBHOOK_URL": base + "/hook/json/secret", "PUSHGATEWAY_URL": "http://127.0.0.1:1",
               "PERFGUARD_NOTIFY_BACKOFF_MS": "10"}


# Tonight's runs are not saved, so each is judged against the same twelve
# nights and the SLO's recent window holds that one run.
def tonight(args=()):
    return sh(perfguard, "check", "--nightly", "--no-save", *args, extra=nightly_env)


def block(lang, text):
    print("```" + lang)
    print(text.rstrip("\n"))
    print("```\n")


commit(135.0, 80.0, 0.03, "render: cache off")
first = tonight(["--prometheus", "perfguard.prom"])
# The same night with `webhook_format = "json"` (and no issue): the comparison JSON.
cfg = open(os.path.join(repo, "perfguard.toml")).read()
open(os.path.join(repo, "json.toml"), "w").write(
    cfg.replace('on = "critical"', 'on = "critical"\nwebhook_format = "json"').replace("issue = true", "issue = false"))
sh(perfguard, "check", "-c", "json.toml", "--nightly", "--no-save", extra=nightly_env)
print("## night 1: exit %d\n\n### log (stderr)\n" % first.returncode)
block("text", first.stderr)
print("### tracking issue #%d: %s\n" % (issues[0]["number"], issues[0]["title"]))
block("markdown", issues[0]["body"])
print("### Slack webhook body\n")
block("json", json.dumps(hooks[0], indent=2, ensure_ascii=False))
print("### JSON webhook body (first lines)\n")
block("json", "\n".join(json.dumps(hooks[1], indent=2, ensure_ascii=False).splitlines()[:24]) + "\n  ...")
print("### --prometheus perfguard.prom\n")
block("text", open(os.path.join(repo, "perfguard.prom")).read())

commit(135.0, 80.0, 0.08, "errors up")
second = tonight()
print("## night 2: exit %d\n\n### log (stderr)\n" % second.returncode)
block("text", second.stderr)
print("### comment on the issue\n")
block("markdown", comments[-1])

commit(100.0, 40.0, 0.0, "fixed")
third = tonight()
print("## night 3: exit %d\n\n### log (stderr)\n" % third.returncode)
block("text", third.stderr)
print("### closing comment (state: %s, %s)\n" % (issues[0]["state"], issues[0]["state_reason"]))
block("markdown", comments[-1])
secret_seen = any("secret" in s for s in (first.stdout, first.stderr, second.stderr, third.stderr))
print("secret URL printed: %s" % secret_seen)


def kind(body):
    """Which example a fenced block of docs/NIGHTLY.md holds."""
    if body.startswith("perfguard: phase"):
        for k in ("opened tracking", "updated tracking", "closed tracking"):
            if k in body:
                return k
    for k, start in (("issue", "<!-- perfguard:tracking"), ("news", "New since"),
                     ("closing", "Recovered"), ("prom", "# HELP")):
        if body.startswith(start):
            return k
    if body.startswith("{"):
        return "slack" if '"blocks"' in body else "json" if '"baseline"' in body else None
    return None


if update:
    sys.stdout = sys.__stdout__
    fresh = {kind(b): (lang, b) for lang, b in re.findall(r"```(\w*)\n(.*?)```\n", captured.getvalue(), re.S)}
    fence = lambda m: ("```%s\n%s```\n" % fresh[kind(m.group(2))]) if kind(m.group(2)) in fresh else m.group(0)
    text = re.sub(r"```(\w*)\n(.*?)```\n", fence, open(docs).read(), flags=re.S)
    open(docs, "w").write(text)
    print("updated %s (%d examples); secret URL printed: %s" % (docs, len(fresh), secret_seen))
