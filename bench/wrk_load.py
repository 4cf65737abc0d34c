"""``GET /jobs/{id}`` driven by wrk (Debian's ``wrk``: C, one event loop per thread), for
bench/api_load.py ``--client wrk``: a load generator that costs a fraction of the CPU of
1,000 Python clients, so a 2-core machine measures the server and not its clients.

Each request asks for a random job of the seeded ones with a random operator's API key (a
Lua script generated per run). wrk counts a non-2xx/3xx answer as a status error and a
socket error (connect, read, write, timeout) apart; its ``done`` hook prints one JSON
line with the counts and the latency percentiles.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

LUA = """
local keys = {%(keys)s}
local jobs = {%(jobs)s}
math.randomseed(os.time())

request = function()
  local job = jobs[math.random(#jobs)]
  local key = keys[math.random(#keys)]
  return wrk.format("GET", "/jobs/" .. job, {["X-API-KEY"] = key})
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '@@{"requests": %%d, "duration_us": %%d, "status_errors": %%d, "connect": %%d, '
    .. '"read": %%d, "write": %%d, "timeout": %%d, "p50_us": %%d, "p90_us": %%d, '
    .. '"p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def _lift_open_files() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run_wrk(
    url: str, keys: list[str], job_ids: list[str], clients: int, duration: float, threads: int
) -> dict[str, Any]:
    """``clients`` connections over ``threads`` wrk threads for ``duration`` seconds."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("--client wrk needs Debian's wrk: apt-get install wrk")
    script = Path(tempfile.mkdtemp(prefix="nw-wrk-")) / "jobs.lua"
    script.write_text(
        LUA
        % {
            "keys": ", ".join(json.dumps(key) for key in keys),
            "jobs": ", ".join(json.dumps(job) for job in job_ids),
        }
    )
    done = subprocess.run(
        [wrk, f"-t{threads}", f"-c{clients}", f"-d{duration:.0f}s", "--timeout", "10s",
         "-s", str(script), url],
        capture_output=True, text=True, check=False, preexec_fn=_lift_open_files,
    )  # fmt: skip
    if "@@" not in done.stdout:
        raise RuntimeError(f"wrk failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.rsplit("@@", 1)[1])
    return result


def as_row(result: dict[str, Any], clients: int) -> dict[str, Any]:
    """wrk's figures in bench/api_load.py's row shape (latencies in ms)."""
    seconds = result["duration_us"] / 1e6
    socket_errors = sum(result[kind] for kind in ("connect", "read", "write", "timeout"))
    errors = result["status_errors"] + socket_errors
    overall = {
        "requests": result["requests"],
        "errors": errors,
        "p50_ms": result["p50_us"] / 1000,
        "p90_ms": result["p90_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "max_ms": result["max_us"] / 1000,
    }
    return {
        "clients": clients,
        "duration_s": round(seconds, 2),
        "requests": result["requests"],
        "errors": errors,
        "requests_per_s": round(result["requests"] / seconds, 1),
        "overall": overall,
        "endpoints": {"GET /jobs/{id}": overall},
        "requests_per_client": {"min": 0, "max": 0},  # wrk does not count per connection
        "error_samples": [
            f"wrk: {kind} {result[kind]}"
            for kind in ("status_errors", "connect", "read", "write", "timeout")
            if result[kind]
        ],
        "client": "wrk",
    }
