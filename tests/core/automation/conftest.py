"""An inventory of lab devices behind the API, for automation tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from netweave.lab import LabThread, build_specs


@pytest.fixture(scope="module")
def ios_lab() -> Iterator[LabThread]:
    """Twenty IOS devices, private to a test module (tests change their configuration)."""
    with LabThread(build_specs(20, platforms=("cisco_ios",), prefix="sw")) as running:
        yield running


def add_inventory(client: TestClient, lab: LabThread) -> list[str]:
    response = client.post(
        "/api/v1/credentials",
        json={
            "name": "lab",
            "username": "netweave",
            "password": "netweave",
            "enable_secret": "netweave",
            "scope": {"networks": ["127.0.0.0/8"]},
        },
    )
    assert response.status_code == 201, response.text
    names = []
    for device in lab.devices:
        response = client.post(
            "/api/v1/devices",
            json={
                "name": device.name,
                "host": device.host,
                "port": device.port,
                "platform": device.spec.platform,
                "credential": "lab",
            },
        )
        assert response.status_code == 201, response.text
        names.append(device.name)
    return names
