"""The notification service type and run reports, through the API against lab devices: a
local HTTP receiver stands for Slack and Teams webhooks, a tiny SMTP receiver for the mail
relay."""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Iterator
from email import message_from_string, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from netweave.db.models import Role
from netweave.foundation.settings import Settings
from netweave.lab import LabThread, build_specs
from tests.core.automation.conftest import add_inventory
from tests.fixtures.database import ONE_BACKEND, TEST_ADMIN_PASSWORD

pytestmark = ONE_BACKEND  # webhooks, mail and templates: the SQL backend plays no part

SECRET_PATH = "/services/T0001/B0002/s3cr3tT0k3n"


class Receiver(BaseHTTPRequestHandler):
    """An incoming webhook: records every POST; ``/fail`` answers 500."""

    posts: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        Receiver.posts.append({"path": self.path, "body": json.loads(self.rfile.read(length))})
        status, answer = (500, b"internal_error") if self.path == "/fail" else (200, b"ok")
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        return


class Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP to take a message (smtpd is gone from the standard library)."""

    messages: list[str] = []

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        data, lines = False, []
        while raw := self.rfile.readline():
            line = raw.decode().rstrip("\r\n")
            if data:
                if line == ".":
                    data = False
                    Smtp.messages.append("\n".join(lines))
                    self.wfile.write(b"250 queued\r\n")
                else:
                    lines.append(line[1:] if line.startswith("..") else line)
                continue
            verb = line.split(" ", 1)[0].upper()
            if verb == "DATA":
                data, lines = True, []
                self.wfile.write(b"354 go\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # EHLO, MAIL, RCPT, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture(scope="module")
def lab() -> Iterator[LabThread]:
    with LabThread(build_specs(3, platforms=("cisco_ios",), prefix="nt")) as running:
        yield running


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def smtp_port() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Smtp)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp_port: int) -> Settings:
    """The suite's settings with the mail relay at the local SMTP receiver."""
    return Settings(
        mode="dev",
        data_dir=tmp_path / "data",
        database_url=database_url,
        admin_password=TEST_ADMIN_PASSWORD,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
    )


def _service(client: TestClient, name: str, type_: str, inputs: dict, **options: Any) -> None:
    body = {"name": name, "type": type_, "inputs": inputs, "options": options}
    created = client.post("/api/v1/services", json=body)
    assert created.status_code == 201, created.text


def _run(client: TestClient, name: str, targets: list[str], **extra: Any) -> dict[str, Any]:
    body = {"targets": {"devices": targets}, "wait": 120, **extra}
    response = client.post(f"/api/v1/run/{name}", json=body)
    assert response.status_code == 201, response.text
    run = response.json()
    run["results"] = client.get(f"/api/v1/runs/{run['id']}/results").json()
    return run


REPORT = (
    "{{ run.name }}: {{ run.status }} ({{ run.counts.failure }} failed)\n"
    "on {{ run.targets | join(', ') }}\n"
    "{% for d in devices %}{{ d.name }}: {{ d.outcome }}\n{% endfor %}"
    "{{ results | selectattr('step', 'equalto', 'version') | list | length }} version results"
)


def test_workflow_notifies_slack_and_reports(
    admin: TestClient, lab: LabThread, receiver: str
) -> None:
    names = add_inventory(admin, lab)
    Receiver.posts = []
    _service(admin, "Version", "netmiko_commands", {"commands": ["show version"]})
    _service(
        admin,
        "Tell Slack",
        "notification",
        {
            "channel": "slack",
            "webhook_url": receiver + SECRET_PATH,
            "body": "{% for r in results %}{{ r.device }}={{ r.success }};{% endfor %}",
            "attachments": [{"text": "{{ results | length }} result(s)"}],
            "include_report": True,
        },
    )
    graph = {
        "nodes": [
            {"id": "version", "ref": "Version"},
            {"id": "notify", "ref": "Tell Slack"},
        ],
        "edges": [
            {"source": "start", "target": "version"},
            {"source": "version", "target": "notify"},
            {"source": "notify", "target": "end"},
        ],
    }
    body = {"name": "Nightly", "graph": graph, "options": {"mode": "per_run", "report": REPORT}}
    created = admin.post("/api/v1/workflows", json=body)
    assert created.status_code == 201, created.text

    run = _run(admin, "Nightly", names)
    assert run["status"] == "success", run["results"]
    # the message: rendered from the run's results so far, posted once
    [post] = Receiver.posts
    assert post["path"] == SECRET_PATH
    text = post["body"]["text"]
    for name in names:
        assert f"{name}=True;" in text
    assert post["body"]["attachments"] == [{"text": "3 result(s)"}]
    # the report over the results so far, in a code block: the run is still going
    assert "```\nNightly: running (0 failed)\n" in text and "3 version results" in text
    # the step's result: channel, status code, text; the webhook's secret path nowhere
    [notified] = [r for r in run["results"] if r["step"] == "notify"]
    assert notified["result"]["channel"] == "slack"
    assert notified["result"]["status_code"] == 200
    assert notified["result"]["webhook"] == f"{receiver}/********"
    assert notified["result"]["text"] == text.split("\n```")[0]
    assert "s3cr3t" not in json.dumps(notified)
    stored = admin.get("/api/v1/services").text
    assert "s3cr3t" not in stored
    # the run's report, rendered when it ended
    report = admin.get(f"/api/v1/runs/{run['id']}").json()["report"]
    assert report == (
        f"Nightly: success (0 failed)\non {', '.join(names)}\n"
        "all targets: success\n"  # per_run: the devices move as one
        "3 version results"
    )


def test_teams_shapes_and_failed_deliveries(
    admin: TestClient, lab: LabThread, receiver: str
) -> None:
    names = add_inventory(admin, lab)[:1]
    Receiver.posts = []
    _service(
        admin,
        "Tell Teams",
        "notification",
        {
            "channel": "teams",
            "webhook_url": f"{receiver}/workflows/abc",
            "subject": "Nightly",
            "body": "{{ results | length }} earlier result(s)",
        },
    )
    card = _run(admin, "Tell Teams", names)
    assert card["status"] == "success", card["results"]
    message = _run(admin, "Tell Teams", names, inputs={"teams_format": "message_card"})
    assert message["status"] == "success", message["results"]
    adaptive, connector = (post["body"] for post in Receiver.posts)
    assert adaptive["type"] == "message"
    [attachment] = adaptive["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    content = attachment["content"]
    assert content["type"] == "AdaptiveCard" and content["version"] == "1.4"
    assert [block["text"] for block in content["body"]] == ["Nightly", "0 earlier result(s)"]
    assert connector["@type"] == "MessageCard" and connector["@context"]
    assert connector["title"] == "Nightly" and connector["text"] == "0 earlier result(s)"

    _service(
        admin,
        "Broken hook",
        "notification",
        {"channel": "mattermost", "webhook_url": f"{receiver}/fail"},
    )
    broken = _run(admin, "Broken hook", names)
    assert broken["status"] == "failure"
    result = broken["results"][0]["result"]
    assert result["status_code"] == 500
    assert result["error"] == "mattermost: the webhook answered HTTP 500: internal_error"

    closed = _run(admin, "Broken hook", names, inputs={"webhook_url": "http://127.0.0.1:9/x"})
    assert closed["status"] == "failure"
    error = closed["results"][0]["result"]["error"]
    assert error.startswith("mattermost: could not deliver to http://127.0.0.1:9/********")
    assert "/x" not in error


def test_email_report_errors_and_roles(admin: TestClient, client_as: Any, lab: LabThread) -> None:
    names = add_inventory(admin, lab)[:2]
    Smtp.messages = []
    _service(
        admin,
        "Mail NOC",
        "notification",
        {
            "channel": "email",
            "recipients": ["noc@example.com", "oncall@example.com"],
            "subject": "{{ devices | length }} devices",
            "body": "Checked {{ devices | map(attribute='name') | join(', ') }}.",
            "include_report": True,
        },
        report="Report of {{ run.name }} ({{ run.kind }})",
    )
    run = _run(admin, "Mail NOC", names)
    assert run["status"] == "success", run["results"]
    assert run["results"][0]["result"]["recipients"] == ["noc@example.com", "oncall@example.com"]
    [raw] = Smtp.messages
    mail = message_from_string(raw, policy=policy.default)
    assert mail["Subject"] == "2 devices"
    assert mail["To"] == "noc@example.com, oncall@example.com"
    assert mail["From"] == "netweave@localhost"
    body, attached = list(mail.iter_parts())
    assert body.get_content().strip() == f"Checked {names[0]}, {names[1]}."
    assert attached.get_filename() == "report.txt"
    assert attached.get_content() == "Report of Mail NOC (service)\n"
    assert run["report"] == "Report of Mail NOC (service)"  # and the run's own, at its end

    # a report that fails says why; the run ends as it would have
    # (and the run's own notification carries it)
    _service(
        admin,
        "Quiet",
        "reachability",
        {"kind": "tcp", "count": 1},
        report="{{ nope.x }}",
        notification={"email": ["noc@example.com"]},
    )
    quiet = _run(admin, "Quiet", names[:1])
    assert quiet["status"] == "success"
    assert quiet["report"] == (
        "The report could not be rendered: options.report: template error at line 1: "
        "'nope' is undefined"
    )
    deadline = time.monotonic() + 30  # the run's notification is sent by a thread
    while len(Smtp.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    notified = message_from_string(Smtp.messages[1], policy=policy.default)
    assert notified["Subject"] == "[NetWeave] Quiet: success"
    assert quiet["report"] in notified.get_content()
    # a report's syntax is checked when it is saved
    bad = admin.post(
        "/api/v1/services",
        json={"name": "Bad", "type": "reachability", "options": {"report": "{% if %}"}},
    )
    assert bad.status_code == 422 and "options.report" in bad.text

    # inputs are checked: a webhook channel needs its URL, e-mail its recipients
    for inputs in (
        {"channel": "slack"},
        {"channel": "email"},
        {"channel": "teams", "webhook_url": "ftp://x"},
    ):
        refused = admin.post(
            "/api/v1/services", json={"name": "Nope", "type": "notification", "inputs": inputs}
        )
        assert refused.status_code == 422, refused.text
        assert "inputs" in refused.text

    # privileged: an operator runs a saved one, never authors one
    operator = client_as(Role.operator)
    made = operator.post(
        "/api/v1/services",
        json={
            "name": "Mine",
            "type": "notification",
            "inputs": {"channel": "slack", "webhook_url": "http://127.0.0.1:9/hook"},
        },
    )
    assert made.status_code == 403, made.text
    again = operator.post(
        "/api/v1/run/Mail NOC", json={"targets": {"devices": names[:1]}, "wait": 60}
    )
    assert again.status_code == 201 and again.json()["status"] == "success"
