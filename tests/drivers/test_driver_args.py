"""Nothing silently ignored: driver_args and connection_args beyond a driver's own reach
the library call that takes them (checked against its real signature), and anything a
driver cannot honour is a 422 naming the field and the driver (issue 14 item 2)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from fastapi.testclient import TestClient

from netweave.core.runtime import Runtime
from netweave.drivers import netmiko_driver
from netweave.drivers.arguments import ArgumentRefused, LibraryCall, route
from netweave.lab import LabDevice, LabThread
from tests.fixtures.database import ONE_BACKEND
from tests.fixtures.lab import first

pytestmark = ONE_BACKEND  # the subject does not depend on the SQL backend


def _body(device: LabDevice, command: str = "show clock", **fields: Any) -> dict[str, Any]:
    connection = {
        "host": device.host,
        "port": device.port,
        "username": device.spec.username,
        "password": device.spec.password,
        "device_type": device.spec.platform,
        **fields.pop("connection", {}),
    }
    return {"connection_args": connection, "command": command, **fields}


def _run(client: TestClient, runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """The first output of a job that must finish."""
    created = client.post("/device/exec", json=body)
    assert created.status_code == 201, created.text
    job = runtime.jobs.wait(created.json()["id"], timeout=60)
    assert job.status == "finished", job
    assert job.result is not None and job.result.retval, job
    return job.result.retval[0].model_dump()


def _refused(client: TestClient, body: dict[str, Any], field: str) -> str:
    response = client.post("/device/exec", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field, response.json()
    return str(response.json()["detail"])


def test_netpulse_netmiko_driver_args_reach_send_command(
    operator: TestClient, runtime: Runtime, lab: LabThread
) -> None:
    device = first(lab, "cisco_ios")
    plain = _run(operator, runtime, _body(device))["stdout"]
    assert not plain.lstrip().startswith("show clock")  # the echo is stripped by default
    assert not plain.rstrip().endswith((">", "#"))  # so is the prompt
    netpulse = {
        "delay_factor": 1,
        "max_loops": 500,
        "cmd_verify": True,
        "normalize": True,
        "strip_command": False,
        "strip_prompt": False,
    }
    kept = _run(operator, runtime, _body(device, driver_args=netpulse))["stdout"]
    assert kept.lstrip().startswith("show clock")  # strip_command=False keeps the echo
    last = kept.rstrip().splitlines()[-1]
    assert last.startswith(device.name) and last.endswith((">", "#"))  # and the prompt
    stripped = _run(operator, runtime, _body(device, driver_args={"strip_prompt": True}))
    assert not stripped["stdout"].rstrip().endswith((">", "#"))
    # the prompt is still tracked: the next job on the same session runs normally
    again = _run(operator, runtime, _body(device, "show version"))
    assert f"{device.name} uptime is" in again["stdout"]


def test_netmiko_config_driver_args_and_connection_args(
    operator: TestClient, runtime: Runtime, fault_lab: LabThread
) -> None:
    device = first(fault_lab, "cisco_ios")
    body = _body(
        device,
        connection={
            "secret": device.spec.password,
            "fast_cli": False,
            "global_delay_factor": 1.5,
            "session_timeout": 30,
        },
        driver_args={"cmd_verify": True, "strip_command": False, "delay_factor": 1},
    )
    body.pop("command")
    body["config"] = ["interface Gi0/2", "description from-driver-args"]
    created = operator.post("/device/exec", json=body)
    assert created.status_code == 201, created.text
    job = runtime.jobs.wait(created.json()["id"], timeout=60)
    assert job.status == "finished" and job.result is not None and job.result.retval, job
    assert job.result.retval[0].metadata["applied"] == body["config"]


def test_paramiko_encoding_and_exec_command_args(
    operator: TestClient, runtime: Runtime, lab: LabThread
) -> None:
    device = first(lab, "linux")
    base = _body(device, "echo café", driver="paramiko")
    assert _run(operator, runtime, base)["stdout"].strip() == "café"
    latin = _run(operator, runtime, {**base, "driver_args": {"encoding": "latin-1"}})
    assert latin["stdout"].strip() == "cafÃ©"  # the same UTF-8 bytes read as Latin-1
    env = {"environment": {"LANG": "C"}, "bufsize": 4096, "encoding": "utf-8"}
    assert _run(operator, runtime, {**base, "driver_args": env})["stdout"].strip() == "café"
    detail = _refused(
        operator, {**base, "driver_args": {"encoding": "klingon"}}, "driver_args.encoding"
    )
    assert "unknown encoding" in detail
    detail = _refused(operator, {**base, "driver_args": {"timeout": 5}}, "driver_args.timeout")
    assert "paramiko driver" in detail and "read_timeout" in detail
    compressed = {**base, "connection_args": {**base["connection_args"], "compress": True}}
    assert _run(operator, runtime, compressed)["stdout"].strip() == "café"
    keyed = {**base, "connection_args": {**base["connection_args"], "key_filename": "/etc/x"}}
    assert "file" in _refused(operator, keyed, "connection_args.key_filename")


def test_pyeapi_encoding_and_eapi_request_args(
    operator: TestClient, runtime: Runtime, lab: LabThread
) -> None:
    device = first(lab, "arista_eos")
    assert device.spec.eapi_port
    body = _body(
        device,
        "show version",
        driver="pyeapi",
        connection={"port": device.spec.eapi_port, "transport": "http"},
    )
    text = _run(operator, runtime, body)
    assert text["parsed"] is None and "DCS-7050TX-64" in text["stdout"]
    structured = _run(
        operator,
        runtime,
        {**body, "driver_args": {"encoding": "json", "autoComplete": True, "expandAliases": True}},
    )
    assert structured["parsed"]["modelName"] == "DCS-7050TX-64"
    wrong = {**body, "driver_args": {"autoComplete": "yes"}}
    assert "valid boolean" in _refused(operator, wrong, "driver_args.autoComplete")
    local = {**body, "connection_args": {**body["connection_args"], "transport": "socket"}}
    assert "pyeapi driver" in _refused(operator, local, "connection_args.transport")


def test_unknown_refused_and_wrong_typed_arguments_are_422(
    operator: TestClient, lab: LabThread
) -> None:
    device = first(lab, "cisco_ios")
    detail = _refused(operator, _body(device, driver_args={"foo": 1}), "driver_args.foo")
    assert "not accepted by the netmiko driver" in detail
    assert "send_command" in detail and "delay_factor" in detail  # what it does take
    detail = _refused(
        operator, _body(device, connection={"colour": "red"}), "connection_args.colour"
    )
    assert "not accepted by the netmiko driver" in detail and "ConnectHandler" in detail
    dangerous = {
        ("connection", "session_log"): "/tmp/steal.log",
        ("connection", "ssh_config_file"): "/etc/ssh/ssh_config",
        ("connection", "key_file"): "/root/.ssh/id_rsa",
        ("connection", "use_keys"): True,
        ("connection", "system_host_keys"): True,
        ("driver_args", "use_textfsm"): True,
        ("driver_args", "ttp_template"): "x.ttp",
    }
    for (where, name), value in dangerous.items():
        field = "connection_args" if where == "connection" else "driver_args"
        extra: dict[str, Any] = {where: {name: value}}
        detail = _refused(operator, _body(device, **extra), f"{field}.{name}")
        assert "refused by the netmiko driver" in detail
        assert ("parsing" if field == "driver_args" else "server") in detail
    objects = _body(device, connection={"sock": 3})
    assert "jump" in _refused(operator, objects, "connection_args.sock")
    typed = _body(device, driver_args={"delay_factor": "slow"})
    assert "valid number" in _refused(operator, typed, "driver_args.delay_factor")
    typed = _body(device, connection={"conn_timeout": "soon"})
    assert "valid number" in _refused(operator, typed, "connection_args.conn_timeout")
    typed = _body(device, driver_args={"strip_command": "no"})
    assert "valid boolean" in _refused(operator, typed, "driver_args.strip_command")
    own = _body(device, driver_args={"read_timeout": "long"})
    assert _refused(operator, own, "driver_args.read_timeout")  # NetWeave's own, typed too
    bulk = operator.post(
        "/device/bulk",
        json={
            "connection_args": {"username": "u", "password": "p", "session_log": "/tmp/x"},
            "devices": [{"host": device.host, "port": device.port}],
            "command": "show clock",
        },
    )
    assert bulk.status_code == 422 and bulk.json()["field"] == "connection_args.session_log"


def test_napalm_optional_args_and_scrapli_arguments(operator: TestClient, lab: LabThread) -> None:
    device = first(lab, "cisco_ios")
    body = _body(device, driver="napalm", connection={"optional_args": {"bogus": 1}})
    detail = _refused(operator, body, "connection_args.optional_args.bogus")
    assert "napalm driver" in detail and "auto_file_prompt" in detail  # read from NAPALM
    body = _body(device, driver="napalm", connection={"optional_args": {"session_log": "/x"}})
    assert "file" in _refused(operator, body, "connection_args.optional_args.session_log")
    body = _body(device, driver="napalm", connection={"fast_cli": False})
    assert "optional_args" in _refused(operator, body, "connection_args.fast_cli")
    accepted = _body(
        device,
        driver="napalm",
        connection={"optional_args": {"fast_cli": False, "auto_file_prompt": False}},
        driver_args={"revert_in": 60},
    )
    assert operator.post("/device/exec", json=accepted).status_code == 201
    scrapli = _body(device, driver="scrapli", connection={"known_hosts_path": "/etc/x"})
    assert "host key" in _refused(operator, scrapli, "connection_args.known_hosts_path")
    scrapli = _body(device, driver="scrapli", driver_args={"input_handling": "sideways"})
    assert "scrapli driver" in _refused(operator, scrapli, "driver_args.input_handling")


def test_scrapli_send_input_arguments_have_an_effect(
    operator: TestClient, runtime: Runtime, lab: LabThread
) -> None:
    device = first(lab, "cisco_ios")
    base = _body(device, driver="scrapli", connection={"secret": device.spec.password})
    plain = _run(operator, runtime, base)["stdout"]
    assert not plain.rstrip().endswith(("#", ">"))
    kept = _run(operator, runtime, {**base, "driver_args": {"retain_trailing_prompt": True}})
    assert kept["stdout"].rstrip().splitlines()[-1].startswith(device.name)


def test_the_check_follows_the_library_signature() -> None:
    # arguments netmiko takes that NetWeave never names: accepted because netmiko has them
    unnamed = {"blocking_timeout": 5, "disable_lf_normalization": True, "allow_auto_change": True}
    for name, value in unnamed.items():
        assert name not in inspect.getsource(netmiko_driver)
        routed = netmiko_driver.CONNECTION_ARGS.check({name: value})
        assert routed["ConnectHandler"] == {name: value}

    def version_one(command: str, *, colour: str = "red") -> None: ...

    def version_two(command: str, *, colour: str = "red", shade: float = 0.5) -> None: ...

    call = LibraryCall("send", version_one)
    with pytest.raises(ArgumentRefused) as refused:
        route({"shade": 0.2}, [call], {}, driver="demo", field="driver_args")
    assert refused.value.field == "driver_args.shade" and "send takes: colour" in str(refused.value)
    newer = LibraryCall("send", version_two)  # the library grew an argument: it passes
    assert route({"shade": 1}, [newer], {}, driver="demo", field="driver_args") == {
        "send": {"shade": 1.0}
    }
    with pytest.raises(ArgumentRefused, match="no reason"):  # the deny-map wins
        route({"shade": 1}, [newer], {"shade": "no reason"}, driver="demo", field="x")


def test_request_level_enable_mode_and_save_are_honoured_or_refused(
    operator: TestClient, lab: LabThread
) -> None:
    for name in ("enable_mode", "save"):
        body = _body(first(lab, "linux"), "id", driver="paramiko", **{name: True})
        assert "paramiko" in _refused(operator, body, name)
    ios = first(lab, "cisco_ios")
    body = _body(ios, "show privilege", driver="scrapli", enable_mode=True)
    body["connection_args"]["secret"] = ios.spec.password  # scrapli logs in privileged
    accepted = operator.post("/device/exec", json=body)
    assert accepted.status_code in (200, 201), accepted.text
    done = operator.get(f"/jobs/{accepted.json()['id']}", params={"wait": 60}).json()
    assert done["status"] == "finished", done
    assert "15" in done["result"]["retval"][0]["stdout"]
