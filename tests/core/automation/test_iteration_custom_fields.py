"""``iteration_devices`` items of the form ``{"custom_fields": {...}}``: the devices whose
custom fields hold those values (a JSON lookup in SQL, so on both backends), under the same
inventory and fence checks as devices named; a malformed or unmatched item fails the step
naming the field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from netweave.core.automation.step_controls import StepControls
from netweave.core.runtime import Runtime
from netweave.foundation.errors import NetWeaveError


def test_iteration_devices_found_by_custom_field(runtime: Runtime, admin: TestClient) -> None:
    fields = {
        "r1": {"loopback": "198.18.255.1", "tier": 1, "edge": True},
        "r2": {"loopback": "198.18.255.2", "tier": 2, "edge": True},
        "r3": {"loopback": "198.18.255.3", "tier": 2},
    }
    for index, (name, custom) in enumerate(fields.items(), start=1):
        body = {"name": name, "host": f"192.0.2.{index}", "platform": "frr"}
        response = admin.post("/api/v1/devices", json={**body, "custom_fields": custom})
        assert response.status_code == 201, response.text
    controls = StepControls(runtime.sessions, "run", {}, {}, acting_user=None)

    def names(value: object) -> list[str]:
        return [target["name"] for target in controls._targets(value)]

    by_loopback = {"custom_fields": {"loopback": "198.18.255.2"}}
    assert names(["r1", by_loopback]) == ["r1", "r2"]
    assert names([by_loopback, "r2"]) == ["r2"]  # once, however it is reached
    assert names({"custom_fields": {"tier": 2}}) == ["r2", "r3"]
    assert names({"custom_fields": {"tier": 2, "edge": True}}) == ["r2"]
    for bad, error in (
        ({"custom_fields": {"loopback": "198.18.255.9"}}, "no device with custom fields"),
        ({"custom_fields": {"loopback": "x"}, "name": "r1"}, "takes a mapping"),
        ({"custom_fields": []}, "takes a mapping"),
        ({"custom_fields": {"a b": "x"}}, "must be an identifier"),
        ({"custom_fields": {"loopback": ["x"]}}, "not a string, number or boolean"),
    ):
        with pytest.raises(NetWeaveError, match=error) as raised:
            controls._targets([bad])
        assert raised.value.field == "iteration_devices"
