"""The short form of ``bench/api_load.py``: the real ``netweave serve`` in its own process
(started with a soft limit of 128 open files, as a stingy login would give it), driven by
200 concurrent API clients — one connection each — for a few seconds with the bench's own
client mix. No timing is asserted: every request must succeed, every client must get
answers, the server must have held all the connections at once, and the writes must leave
nothing behind."""

from __future__ import annotations

import httpx

from netweave.core.runtime import Runtime
from tests.fixtures.database import TEST_ADMIN_PASSWORD
from tests.fixtures.loadgen import Target, run_load_sync, sample_server, seed, serve

CLIENTS = 200
SECONDS = 5.0


def test_two_hundred_concurrent_clients_get_answers_and_no_errors(runtime: Runtime) -> None:
    seeded = seed(runtime, devices=200, users_count=5, jobs=100)
    data_dir = runtime.settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    with serve(
        data_dir,
        database_url=runtime.settings.database_url,
        mode="dev",
        admin_password=TEST_ADMIN_PASSWORD,
        open_files=128,  # fewer than the clients: the server must raise its own limit
    ) as server:
        target = Target(server.url, seeded.keys, seeded.device_ids, seeded.job_ids)
        with sample_server(server) as peaks:
            report = run_load_sync(target, CLIENTS, SECONDS)
        leftover = httpx.get(
            f"{server.url}/api/v1/pools", headers={"X-API-KEY": seeded.keys[0]}, timeout=30
        )
    assert report.errors == 0, report.error_samples
    assert min(report.per_client) >= 1, "a client got no answer at all"
    expected = {
        "GET /api/v1/devices?page",
        "GET /api/v1/devices/{id}",
        "GET /health",
        "GET /jobs",
        "GET /jobs/{id}",
        "GET /api/v1/runs",
        "POST /api/v1/pools",
        "DELETE /api/v1/pools/{id}",
    }
    assert expected <= set(report.endpoints), sorted(report.endpoints)
    created = report.endpoints["POST /api/v1/pools"].requests
    assert report.endpoints["DELETE /api/v1/pools/{id}"].requests == created
    assert leftover.status_code == 200 and leftover.json()["total"] == 0
    assert peaks["sockets"] >= CLIENTS, "every client held its own connection at once"
