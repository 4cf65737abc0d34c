"""Write the API reference of the docs site from the app's own OpenAPI.

    .venv/bin/python scripts/openapi_docs.py [--out docs]

Builds the real FastAPI app (on a throw-away SQLite database) and writes, into ``--out``:

* ``openapi.json`` — the spec exactly as the server serves it at ``/openapi.json``;
* ``api.md`` — a Markdown reference grouped by tag: method, path, summary, the role a
  caller needs (read from each route's guard), request and response schema names.

Both are generated at build time (``make docs``) and listed in ``.gitignore``. Nothing is
fetched from the network.
"""

from __future__ import annotations

import argparse
import inspect
import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from netweave.api.app import create_app
from netweave.api.deps import get_principal, trigger_caller
from netweave.core.runtime import Runtime
from netweave.foundation.settings import Settings

METHODS = ("get", "post", "put", "patch", "delete")
ROLE_ORDER = {"viewer": 0, "operator": 1, "admin": 2}


def build_app(directory: Path) -> tuple[FastAPI, Runtime]:
    settings = Settings(mode="dev", data_dir=directory, admin_password="docs-build-password")
    runtime = Runtime.open(settings)
    return create_app(runtime), runtime


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every APIRoute of the app. Recent FastAPI keeps included routers as such in
    ``app.routes`` and offers ``iter_route_contexts`` to walk them; older ones list the
    routes themselves."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    if iterate is None:
        return [route for route in app.routes if isinstance(route, APIRoute)]
    originals = (context.original_route for context in iterate(app.routes))
    return [route for route in originals if isinstance(route, APIRoute)]


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def required_role(route: APIRoute) -> str:
    """The role the route's guard demands (``require(Role.x)``), read from the guard's
    closure; ``trigger_caller`` and a bare sign-in check are named as such."""
    roles: list[str] = []
    calls = list(_calls(route.dependant))
    for call in calls:
        if getattr(call, "__qualname__", "").startswith("require.<locals>."):
            role = inspect.getclosurevars(call).nonlocals.get("role")
            if role is not None:
                roles.append(str(getattr(role, "value", role)))
    if roles:
        return max(roles, key=lambda r: ROLE_ORDER.get(r, -1))
    if trigger_caller in calls:
        return "operator (or a trigger-scoped key)"
    if get_principal in calls:
        return "signed in"
    return "none"


def schema_name(schema: dict[str, Any] | bool | None) -> str:
    if schema is True:
        return "Any"
    if not isinstance(schema, dict) or not schema:
        return "\u2013"
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list[{schema_name(schema.get('items'))}]"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " | ".join(schema_name(s) for s in schema[key])
    if schema.get("type") == "object" and "additionalProperties" in schema:
        return f"dict[str, {schema_name(schema['additionalProperties'])}]"
    return str(schema.get("type", "\u2013"))


def _body(content: dict[str, Any] | None) -> str:
    if not content:
        return "\u2013"
    parts = []
    for media, spec in content.items():
        name = schema_name(spec.get("schema"))
        parts.append(f"`{name}`" if media == "application/json" else f"`{name}` ({media})")
    return ", ".join(parts)


def response_of(operation: dict[str, Any]) -> str:
    for code, response in sorted(operation.get("responses", {}).items()):
        if code.startswith("2"):
            if code == "204":
                return "204, no body"
            return f"{code} {_body(response.get('content'))}"
    return "\u2013"


def request_of(operation: dict[str, Any]) -> str:
    body = operation.get("requestBody")
    parts = [_body(body.get("content"))] if body else []
    query = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
    if query:
        parts.append("query: " + ", ".join(f"`{name}`" for name in query))
    return "<br>".join(parts) or "\u2013"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def render_markdown(app: FastAPI, spec: dict[str, Any]) -> str:
    roles = {
        (method.lower(), route.path_format): required_role(route)
        for route in api_routes(app)
        for method in route.methods or ()
    }
    groups: dict[str, list[str]] = {}
    count = 0
    for path, item in spec["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            count += 1
            tag = (operation.get("tags") or ["other"])[0]
            summary = operation.get("summary", "")
            first_line = (operation.get("description") or "").strip().split("\n\n")[0]
            if first_line:
                summary = f"{summary}: {first_line}" if summary else first_line
            groups.setdefault(tag, []).append(
                f"| `{method.upper()}` | `{path}` | {_cell(summary)} "
                f"| {roles.get((method, path), '?')} | {request_of(operation)} "
                f"| {response_of(operation)} |"
            )
    info = spec["info"]
    lines = [
        "# API reference",
        "",
        f"{info['title']} {info['version']}: {count} operations, generated from the "
        "application's own OpenAPI by `scripts/openapi_docs.py` (`make docs`). The running "
        "server serves the same document at `/openapi.json`; the copy used to build this "
        "page is [openapi.json](openapi.json).",
        "",
        "Authenticate with the `X-API-KEY` header (or the UI's login cookie plus the "
        "`X-CSRF-Token` header for changes). **Role** is the least role the route accepts: "
        "viewer < operator < admin; *signed in* means any valid key; *none* needs no key. "
        'Errors are `{"detail": ...}` with a 4xx status naming the field.',
        "",
    ]
    for tag, rows in groups.items():
        lines += [
            f"## {tag}",
            "",
            "| method | path | summary | role | request | response |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nw-docs-") as directory:
        app, runtime = build_app(Path(directory))
        try:
            spec = app.openapi()
            markdown = render_markdown(app, spec)
        finally:
            runtime.close()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "openapi.json").write_text(json.dumps(spec, indent=2) + "\n")
    (args.out / "api.md").write_text(markdown)
    print(f"wrote {args.out / 'openapi.json'} and {args.out / 'api.md'}")


if __name__ == "__main__":
    main()
