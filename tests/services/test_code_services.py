"""The code service types through the API, on lab devices: ``python_snippet`` (commands over
the pooled session, print captured, exports read by later steps, failures with the
snippet's own traceback, a runaway loop stopped at the step's timeout), ``unix_command``
(argument templating that cannot add arguments, exit statuses, the kill on timeout and on
a stop of the run), ``data_processing`` (JMESPath and Jinja2 over earlier results) and who
may author each."""

from __future__ import annotations

import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from netweave.lab import LabThread, build_specs
from tests.core.automation.conftest import add_inventory
from tests.fixtures.api import ClientFactory
from tests.fixtures.database import ONE_BACKEND

pytestmark = ONE_BACKEND  # the subject does not depend on the SQL backend

SNIPPET = """
out = commands(["show version"])[0]["stdout"]
first = out.splitlines()[0]
print("first line:", first)
log(f"{device['name']}: {len(out)} characters")
result["first_line"] = first
result["site"] = variables["site"]
exports["ios_line"] = first
exports["interfaces"] = [{"name": "Gi0/1", "up": True}, {"name": "Gi0/2", "up": False}]
"""

FAILING = """
def ratio(count):
    return 10 / count

result["before"] = "kept"
ratio(0)
"""


@pytest.fixture(scope="module")
def code_lab() -> Iterator[LabThread]:
    """Two IOS devices for this module."""
    with LabThread(build_specs(2, platforms=("cisco_ios",), prefix="code")) as running:
        yield running


def _service(client: TestClient, name: str, type_: str, inputs: dict, **options: Any) -> Any:
    body = {"name": name, "type": type_, "inputs": inputs, "options": options}
    return client.post("/api/v1/services", json=body)


def _run(client: TestClient, name: str, targets: list[str], **body: Any) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/run/{name}",
        json={"targets": {"devices": targets}, "variables": {"site": "lab"}, "wait": 60, **body},
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    data["results"] = client.get(f"/api/v1/runs/{data['id']}/results").json()
    return data


def _chain(*steps: str) -> dict[str, Any]:
    nodes = [{"id": s.split(":")[0], "ref": s.split(":")[1]} for s in steps]
    ids = ["start", *[n["id"] for n in nodes], "end"]
    return {"nodes": nodes, "edges": [{"source": a, "target": b} for a, b in pairwise(ids)]}


def test_snippet_exports_flow_into_data_processing_steps(
    admin: TestClient, code_lab: LabThread
) -> None:
    names = add_inventory(admin, code_lab)
    assert _service(admin, "Snippet", "python_snippet", {"source": SNIPPET}).status_code == 201
    up = {
        "source": "variables",
        "expression": "interfaces[?up].name",
        "export_as": "up_names",
        "expect": "non_empty",
    }
    assert _service(admin, "Up", "data_processing", up).status_code == 201
    summary = {
        "source": "snippet",
        "engine": "jinja",
        "expression": "{'cisco': data.first_line.startswith('Cisco IOS'), 'up': vars.up_names}",
        "expect": "truthy",
    }
    assert _service(admin, "Summary", "data_processing", summary).status_code == 201
    graph = _chain("snippet:Snippet", "up:Up", "summary:Summary")
    assert admin.post("/api/v1/workflows", json={"name": "Flow", "graph": graph}).is_success

    run = _run(admin, "Flow", names)
    assert run["status"] == "success", run["results"]
    by_step = {(r["step"], r["device"]): r for r in run["results"]}
    for name in names:
        snippet = by_step[("snippet", name)]
        assert snippet["result"]["first_line"].startswith("Cisco IOS Software")
        assert snippet["result"]["site"] == "lab"
        assert "first line: Cisco IOS Software" in snippet["logs"]  # print() went to the log
        assert f"{name}: " in snippet["logs"]
        others = [other for other in names if other != name]
        assert not any(f"{other}: " in snippet["logs"] for other in others)  # per step
        assert snippet["variables"]["ios_line"] == snippet["result"]["first_line"]
        assert by_step[("up", name)]["result"]["value"] == ["Gi0/1"]
        assert by_step[("summary", name)]["result"]["value"] == {"cisco": True, "up": ["Gi0/1"]}

    template = {"source": "snippet", "engine": "jinja", "expression": "{{ data.site }}-x"}
    assert _service(admin, "Template", "data_processing", template).status_code == 201
    empty = {"source": "up", "expression": "value[?@ == 'Gi9/9']", "expect": "non_empty"}
    assert _service(admin, "Empty", "data_processing", empty).status_code == 201
    graph = _chain("snippet:Snippet", "up:Up", "template:Template", "empty:Empty")
    assert admin.post("/api/v1/workflows", json={"name": "Flow 2", "graph": graph}).is_success
    second = _run(admin, "Flow 2", names[:1])
    assert second["status"] == "failure"
    results = {r["step"]: r for r in second["results"]}
    assert results["template"]["result"]["value"] == "lab-x"  # a template's text
    assert results["empty"]["result"]["value"] == []
    assert results["empty"]["result"]["error"] == "expect: the value is not non-empty"

    bad_query = _service(admin, "Bad query", "data_processing", {"expression": "interfaces[?"})
    assert bad_query.status_code == 422
    assert bad_query.json()["detail"].startswith("inputs.expression: ")
    assert "JMESPath syntax error at column" in bad_query.json()["detail"]
    bad_jinja = {"engine": "jinja", "expression": "data |"}
    refused = _service(admin, "Bad jinja", "data_processing", bad_jinja)
    assert refused.status_code == 422 and "inputs.expression" in refused.json()["detail"]
    bad_python = _service(admin, "Bad", "python_snippet", {"source": "x = 1\nif x\n  y = 2\n"})
    assert bad_python.status_code == 422
    assert bad_python.json()["detail"].startswith("inputs.source: ")
    assert "Python syntax error at line 2" in bad_python.json()["detail"]


def test_failing_and_runaway_snippets(admin: TestClient, code_lab: LabThread) -> None:
    names = add_inventory(admin, code_lab)[:1]
    assert _service(admin, "Failing", "python_snippet", {"source": FAILING}).status_code == 201
    failed = _run(admin, "Failing", names)
    assert failed["status"] == "failure"
    result = failed["results"][0]
    assert result["result"]["error"] == "ZeroDivisionError: division by zero"
    assert result["result"]["line"] == 3 and result["result"]["before"] == "kept"
    assert "line 6: ratio(0)" in result["logs"]
    assert "line 3, in ratio: return 10 / count" in result["logs"]
    assert "steps.py" not in result["logs"]  # the worker's own frames stay out

    loop = {"source": "count = 0\nwhile True:\n    count += 1\n"}
    assert _service(admin, "Loop", "python_snippet", loop, timeout=1).status_code == 201
    looped = _run(admin, "Loop", names)
    assert looped["status"] == "failure"
    assert looped["results"][0]["result"]["error"] == "timeout: still running after 1 s"

    unjson = {"source": "result['when'] = object()\nexports['fine'] = (1, 2)"}
    assert _service(admin, "Object", "python_snippet", unjson).status_code == 201
    refused = _run(admin, "Object", names)["results"][0]
    assert refused["success"] is False
    assert refused["result"]["error"].startswith("result['when']: a value of type object")
    chosen = {"source": "result = {'tried': True}\nsuccess = False"}
    assert _service(admin, "Chosen", "python_snippet", chosen).status_code == 201
    declined = _run(admin, "Chosen", names)["results"][0]
    assert declined["success"] is False and declined["result"] == {"tried": True}


def test_unix_command_arguments_exit_status_timeout_and_stop(
    admin: TestClient, code_lab: LabThread, tmp_path: Path
) -> None:
    names = add_inventory(admin, code_lab)[:1]
    echo = {
        "command": "printf '%s|' {{ device.name }} 'site {{ vars.site }}' {{ vars.site }}; "
        "{{ '; touch ' ~ vars.site }}",
        "env": {"TARGET": "{{ device.host }}"},
    }
    assert _service(admin, "Echo", "unix_command", echo).status_code == 201
    run = _run(admin, "Echo", names, variables={"site": "a b"})
    result = run["results"][0]["result"]
    assert run["status"] == "success", result
    # each expression stays inside one argument: spaces and ';' are data, not syntax
    assert result["stdout"] == f"{names[0]}|site a b|a b;|; touch a b|"
    assert result["exit_status"] == 0

    shell = {
        "command": "echo {{ vars.site }} '<{{ vars.site }}>' $TARGET | tr a-z A-Z; "
        'test "$TOKEN" = not-shown-anywhere && exit 3',
        "shell": True,
        "env": {"TARGET": "{{ device.name }}"},
        "secret_env": {"TOKEN": "not-shown-anywhere"},
        "success_codes": [3],
    }
    created = _service(admin, "Shell", "unix_command", shell)
    assert created.status_code == 201
    shown = admin.get(f"/api/v1/services/{created.json()['id']}").json()
    assert shown["inputs"]["secret_env"] == {"TOKEN": "********"}  # stored sealed
    evil = "x'; echo injected; '"
    piped = _run(admin, "Shell", names, variables={"site": evil})
    result = piped["results"][0]["result"]
    assert piped["status"] == "success", result
    assert result["exit_status"] == 3  # the secret reached the command's environment
    # values reach the shell as variables, never as its syntax, even inside quotes
    assert result["stdout"] == f"{evil} <{evil}> {names[0]}\n".upper()
    assert result["values"] == {"NETWEAVE_VALUE_0": evil, "NETWEAVE_VALUE_1": evil}

    masked = {"command": "sh -c 'echo $TOKEN >&2; exit 1'", "secret_env": {"TOKEN": "hunter22"}}
    assert _service(admin, "Masked", "unix_command", masked).status_code == 201
    failed = _run(admin, "Masked", names)
    result = failed["results"][0]["result"]
    assert failed["status"] == "failure" and result["exit_status"] == 1
    assert result["stderr"] == "********\n" and result["error"] == "exit status 1"

    slow = {"command": "sleep 30", "timeout": 0.3}
    assert _service(admin, "Slow", "unix_command", slow).status_code == 201
    timed_out = _run(admin, "Slow", names)["results"][0]["result"]
    assert timed_out["error"] == "timeout: killed after 0.3 s"
    assert timed_out["exit_status"] == -9

    marker = tmp_path / "started"
    long = {"command": f"sh -c 'touch {marker}; exec sleep 30'"}
    assert _service(admin, "Long", "unix_command", long).status_code == 201
    started = admin.post("/api/v1/run/Long", json={"targets": {"devices": names}})
    assert started.status_code == 201, started.text
    ident = started.json()["id"]
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists()
    assert admin.post(f"/api/v1/runs/{ident}/stop").status_code == 200
    final = admin.get(f"/api/v1/runs/{ident}").json()
    while final["status"] in ("running", "stopping") and time.monotonic() < deadline:
        time.sleep(0.1)
        final = admin.get(f"/api/v1/runs/{ident}").json()
    assert final["status"] == "stopped", final
    stopped = admin.get(f"/api/v1/runs/{ident}/results").json()[0]
    assert stopped["result"]["error"].startswith("stopped")
    assert stopped["result"]["exit_status"] == -9

    bad = _service(admin, "Bad", "unix_command", {"command": "echo {% if x %}y{% endif %}"})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("inputs.command: ")


def test_operators_run_saved_code_services_but_cannot_author_them(
    client_as: ClientFactory, code_lab: LabThread
) -> None:
    from netweave.db.models import Role

    admin, operator = client_as(Role.admin), client_as(Role.operator)
    names = add_inventory(admin, code_lab)[:1]
    saved = {
        "Py": ("python_snippet", {"source": "result['name'] = device['name']"}),
        "Sh": ("unix_command", {"command": "echo {{ device.name }}"}),
    }
    for name, (type_, inputs) in saved.items():
        refused = _service(operator, f"{name} by operator", type_, inputs)
        assert refused.status_code == 403, refused.text
        assert f"service type {type_!r} is privileged" in refused.json()["detail"]
        assert _service(admin, name, type_, inputs).status_code == 201
        other = operator.post(f"/api/v1/run/{name}", json={"inputs": inputs, "wait": 60})
        assert other.status_code == 403  # running it with other inputs is authoring it
    assert _run(operator, "Py", names)["results"][0]["result"] == {"name": names[0]}
    assert _run(operator, "Sh", names)["results"][0]["result"]["stdout"] == f"{names[0]}\n"
    query = {"source": "variables", "expression": "site"}
    assert _service(operator, "Pick", "data_processing", query).status_code == 201
    assert _run(operator, "Pick", names)["results"][0]["result"] == {"value": "lab"}
