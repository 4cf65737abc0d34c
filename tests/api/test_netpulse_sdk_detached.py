"""Detached tasks with ``netpulse-sdk`` 0.4.x, unchanged, against NetWeave and the lab: a
long ``ping ... repeat N`` streams into a task log read by offset, listed by status, killed
(the device command really stops), cleared, discovered, and pushed to a webhook."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from netpulse_sdk import NetPulseClient

from netweave.core.jobs.detached import DetachedLimits
from netweave.lab import LabDevice, LabThread
from tests.fixtures.api import LiveApi
from tests.fixtures.lab import first

LOGIN = {"username": "netweave", "password": "netweave", "secret": "netweave"}
DEADLINE = 60.0  # bounds for waiting on a loaded machine, not timings


def _client(api: LiveApi, device: LabDevice) -> NetPulseClient:
    return NetPulseClient(
        base_url=api.url,
        api_key=api.key,
        driver="netmiko",
        default_connection_args={**LOGIN, "device_type": "cisco_ios", "port": device.port},
    )


def _until(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_detached_ping_grows_lists_kills_and_clears(live_api: LiveApi, lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    client = _client(live_api, device)
    job = client.run(device.host, "ping 10.255.0.1 repeat 100000", detach=True)
    task_id = job.task_id
    assert task_id == job.id

    first_read = _until(
        lambda: (s := client.get_detached_task(task_id)).output.count("!") >= 3 and s,
        "the first echoes",
    )
    assert first_read.is_running and "Sending 100000, 100-byte ICMP Echos" in first_read.output
    assert device.streams == 1
    later = _until(
        lambda: (
            (s := client.get_detached_task(task_id, offset=first_read.next_offset)).output and s
        ),
        "more output after the first offset",
    )
    assert later.next_offset > first_read.next_offset
    assert set(later.output) <= {"!", "\n"}  # only what came after the offset

    running = client.list_detached_tasks(status="running")
    mine = next(t for t in running if t.task_id == task_id)
    assert mine.host == device.host and mine.driver == "netmiko"
    assert mine.command == ["ping 10.255.0.1 repeat 100000"]
    assert "password" not in (mine.connection_args or {})
    assert task_id not in {t.task_id for t in client.list_detached_tasks(status="completed")}
    found = client.discover_detached_tasks(
        device.host, driver="netmiko", connection_args={**LOGIN, "port": device.port}
    )
    assert task_id in {t.task_id for t in found}
    recovered = {j.task_id: j for j in client.discover_jobs(status="running")}
    assert recovered[task_id].id == f"task_{task_id}"
    assert recovered[task_id].refresh().status == "started"  # GET /jobs/task_<id> works

    assert client.cancel_detached_task(task_id)
    killed = client.get_detached_task(task_id)
    assert not killed.is_running and not killed.completed
    assert killed.model_extra and killed.model_extra["status"] == "killed"
    assert "Sending 100000" in killed.output and killed.output.count("!") >= 3
    assert client.get_job(job.id).status == "canceled"
    _until(lambda: device.streams == 0, "the device's ping to stop")
    assert task_id in {t.task_id for t in client.list_detached_tasks(status="killed")}

    headers = {"X-API-KEY": live_api.key}
    cleared = httpx.delete(f"{live_api.url}/detached-tasks/{task_id}", headers=headers)
    assert cleared.json() == {"task_id": task_id, "status": "cleared"}
    gone = httpx.get(f"{live_api.url}/detached-tasks/{task_id}", headers=headers)
    assert gone.status_code == 404 and gone.json()["field"] == "task_id"
    assert task_id not in {t.task_id for t in client.list_detached_tasks()}


def test_detached_task_runs_to_completion_and_tails(live_api: LiveApi, lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    client = _client(live_api, device)
    job = client.run(device.host, "ping 10.255.0.2 repeat 25", detach=True)
    chunks: list[str] = []
    full = client.tail_detached_task(job.task_id, poll_interval=0.2, callback=chunks.append)
    assert full.count("!") == 25 and len(chunks) >= 1 and "".join(chunks) == full
    assert "Success rate is 100 percent (25/25)" in full
    assert not full.rstrip().endswith((">", "#"))  # the prompt is not output
    done = client.get_detached_task(job.task_id)
    assert done.completed and done.output == full
    finished = job.wait(timeout=30)
    assert finished.status == "finished" and finished.results()[0].stdout == full
    assert job.task_id in {t.task_id for t in client.list_detached_tasks(status="completed")}


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[dict[str, Any]]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    bodies: list[dict[str, Any]] = []
    handler = type("Handler", (_Receiver,), {"bodies": bodies})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies
    server.shutdown()
    server.server_close()


def test_push_interval_delivers_output_to_the_webhook(
    live_api: LiveApi, lab: LabThread, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, bodies = receiver
    device = first(lab, "cisco_ios")
    client = _client(live_api, device)
    job = client.run(
        device.host,
        "ping 10.255.0.5 repeat 40",
        detach=True,
        push_interval=1,
        webhook={"url": url},
    )
    full = client.tail_detached_task(job.task_id, poll_interval=0.2)
    _until(lambda: any(b.get("status") == "success" for b in bodies), "the final webhook")

    def log_pushes() -> list[dict[str, Any]]:
        return sorted(
            (b for b in bodies if b.get("event_type") == "detached.log_push"),
            key=lambda b: b["offset"],
        )

    # deliveries run side by side: the last push may land after the final status webhook
    _until(lambda: log_pushes() and log_pushes()[-1]["next_offset"] >= len(full), "the tail")
    pushes = log_pushes()
    assert len(pushes) >= 2  # 4 s of output, pushed every second
    assert all(p["task_id"] == job.task_id and p["final"] is False for p in pushes)
    pushed = "".join(p["result"]["retval"][0]["stdout"] for p in pushes)
    assert pushed == full  # every character once, in order (by offset)
    assert [p["offset"] for p in pushes[1:]] == [p["next_offset"] for p in pushes[:-1]]


def test_detached_refusals_limits_and_roles(
    live_api: LiveApi,
    lab: LabThread,
    client_as: Callable[[Any], TestClient],
) -> None:
    from netweave.db.models import Role

    device = first(lab, "cisco_ios")
    base = {
        "driver": "netmiko",
        "connection_args": {**LOGIN, "host": device.host, "port": device.port},
        "command": "ping 10.255.0.6 repeat 100000",
    }
    operator, viewer = client_as(Role.operator), client_as(Role.viewer)

    def refused(body: dict[str, Any], field: str) -> None:
        answer = operator.post("/device/exec", json=body)
        assert answer.status_code == 422 and answer.json()["field"] == field, answer.text

    refused({**base, "push_interval": 5}, "push_interval")  # without detach
    refused({**base, "detach": True, "push_interval": 5}, "push_interval")  # no webhook
    refused({**base, "detach": True, "command": None, "config": ["hostname x"]}, "detach")
    refused({**base, "detach": True, "driver": "paramiko"}, "detach")
    refused({**base, "detach": True, "parsing": {"name": "ntc_templates"}}, "parsing")
    assert viewer.post("/device/exec", json={**base, "detach": True}).status_code == 403
    assert viewer.get("/detached-tasks").status_code == 200
    bad_status = viewer.get("/detached-tasks", params={"status": "sleeping"})
    assert bad_status.status_code == 422 and bad_status.json()["field"] == "status"

    runner = live_api.runtime.jobs.runner
    runner.detached = DetachedLimits(max_tasks=1, max_log_chars=160)
    started = operator.post("/device/exec", json={**base, "detach": True})
    assert started.status_code == 201, started.text
    task_id = started.json()["task_id"]
    full = operator.post("/device/exec", json={**base, "detach": True})
    assert full.status_code == 429 and full.json()["field"] == "detach"
    assert viewer.delete(f"/detached-tasks/{task_id}").status_code == 403

    cut = _until(
        lambda: (r := viewer.get(f"/detached-tasks/{task_id}").json())["truncated"] and r,
        "the log to reach its limit",
    )
    assert "output cut at 160 characters" in cut["output"] and cut["is_running"]
    assert len(cut["output"]) < 160 + 100
    assert device.streams >= 1  # the command runs on
    killed = operator.delete(f"/detached-tasks/{task_id}")
    assert killed.json() == {"task_id": task_id, "status": "killed"}
    _until(lambda: device.streams == 0, "the device's ping to stop")
    again = operator.post("/device/exec", json={**base, "detach": True, "command": "show clock"})
    assert again.status_code == 201  # room again once killed
    operator.delete(f"/detached-tasks/{again.json()['task_id']}")
