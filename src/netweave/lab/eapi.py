"""Arista eAPI (JSON-RPC over HTTP, ``POST /command-api``) for simulated EOS devices, so
pyeapi has something real to talk to. Plain asyncio: HTTP/1.1 keep-alive, Basic auth."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from netweave.lab.cli_common import Reply

if TYPE_CHECKING:
    from netweave.lab.cli_ios import IosCli
    from netweave.lab.device import LabDevice

ERROR_MARKERS = ("% Invalid input", "% Incomplete command", "% Ambiguous command")


def _json_output(cli: IosCli, command: str) -> dict[str, Any] | None:
    """The commands whose JSON form the lab knows; others answer error 1003 like EOS."""
    words = command.split()
    if words[:2] == ["show", "version"]:
        spec_model = cli.profile.model
        return {
            "modelName": spec_model,
            "version": cli.profile.os_version,
            "serialNumber": f"JPE{cli.index + 1:08d}",
            "systemMacAddress": f"52:54:00:{cli.index >> 8 & 0xFF:02x}:{cli.index & 0xFF:02x}:01",
            "hardwareRevision": "01.11",
            "architecture": "x86_64",
            "memTotal": 8099732,
            "memFree": 6321488,
            "uptime": (datetime.now(UTC) - cli.boot).total_seconds(),
        }
    if words[:2] == ["show", "hostname"]:
        return {
            "hostname": cli.config.hostname,
            "fqdn": f"{cli.config.hostname}.lab.netweave.local",
        }
    return None


def run_commands(cli: IosCli, commands: list[Any], fmt: str) -> dict[str, Any]:
    """One JSON-RPC ``runCmds``: every command in order; the first failure stops the batch."""
    results: list[dict[str, Any]] = []
    for position, entry in enumerate(commands):
        command = entry.get("cmd", "") if isinstance(entry, dict) else str(entry)
        if command.strip() == "enable":
            cli.mode = "enable" if cli.mode == "user" else cli.mode
            results.append({})
            continue
        reply: Reply = cli.handle(command)
        failed = any(marker in reply.output for marker in ERROR_MARKERS)
        if failed:
            message = (
                f"CLI command {position + 1} of {len(commands)} '{command}' failed: invalid command"
            )
            return {
                "error": {
                    "code": 1002,
                    "message": message,
                    "data": [*results, {"errors": [reply.output.strip().splitlines()[-1]]}],
                }
            }
        if fmt == "json":
            data = _json_output(cli, command)
            if data is None and command.split()[0] == "show":
                message = (
                    f"CLI command {position + 1} of {len(commands)} '{command}' failed: "
                    "unconverted command"
                )
                return {
                    "error": {
                        "code": 1003,
                        "message": message,
                        "data": [*results, {"errors": ["unconverted command"]}],
                    }
                }
            results.append(data or {})
        else:
            results.append({"output": reply.output.replace("\r\n", "\n")})
    return {"result": results}


class EapiServer:
    def __init__(self, device: LabDevice) -> None:
        self.device = device
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self, host: str, port: int) -> int:
        self.server = await asyncio.start_server(self._serve, host, port)
        self.port = int(self.server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def _authorized(self, headers: dict[str, str]) -> bool:
        fault = self.device.fault
        if fault is not None and fault.kind == "refuse_auth":
            return False
        value = headers.get("authorization", "")
        if not value.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(value[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.device.spec.username and password == self.device.spec.password

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    break
                headers: dict[str, str] = {}
                while True:
                    line = (await reader.readline()).decode("latin-1").strip()
                    if not line:
                        break
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                status, payload = self._handle(request_line.decode("latin-1"), headers, body)
                raw = json.dumps(payload).encode()
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(raw)}\r\n\r\n".encode()
                    + raw
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _handle(
        self, request_line: str, headers: dict[str, str], body: bytes
    ) -> tuple[str, dict[str, Any]]:
        parts = request_line.split()
        if len(parts) < 2 or parts[0] != "POST" or parts[1] != "/command-api":
            return "404 Not Found", {"error": "only POST /command-api"}
        if not self._authorized(headers):
            return "401 Unauthorized", {"error": "Unable to authenticate user"}
        try:
            request = json.loads(body or b"{}")
            params = request.get("params", {})
            commands = params["cmds"]
        except (ValueError, KeyError, AttributeError):
            return "200 OK", {
                "jsonrpc": "2.0",
                "id": None,
                "error": {"code": -32700, "message": "parse error"},
            }
        cli = cast("IosCli", self.device.new_cli(self.device.spec.username))
        outcome = run_commands(cli, commands, str(params.get("format", "json")))
        return "200 OK", {"jsonrpc": "2.0", "id": request.get("id"), **outcome}
