"""CLI start-up, side by side in one run (issue 20 item 5): the time from exec to exit of

* ``python -c pass`` (the interpreter alone: the floor),
* ``netweave --help`` (commands listed from a table, none imported),
* ``netweave run --help`` (the run command only),
* ``netweave run --server http://127.0.0.1:9 ...`` (the remote mode up to its first request,
  refused at once: nothing listens on port 9),
* ``netweave run -d no-such-device ...`` (the local mode: the embedded engine opened on a
  SQLite installation, then the device refused),
* the eager start the CLI had before: importing every command module, as ``main`` did.

Medians of N runs each, interleaved (a load spike hits every variant alike). The package's
bytecode is compiled first, as an installed wheel's is: with ``PYTHONDONTWRITEBYTECODE`` set
an editable install would otherwise compile ~90 modules from source on every start.

    .venv/bin/python bench/cli_startup.py --runs 15
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
EAGER = (
    "import netweave.cli.serve, netweave.cli.run, netweave.cli.worker, netweave.cli.scheduler, "
    "netweave.cli.syslog, netweave.cli.db, netweave.cli.users, netweave.cli.inventory, "
    "netweave.cli.lab, netweave.cli.automation, netweave.cli.migrate"
)
VARIANTS = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "netweave --help": [str(BIN / "netweave"), "--help"],
    "netweave run --help": [str(BIN / "netweave"), "run", "--help"],
    "netweave run --server (remote, refused)": [
        str(BIN / "netweave"),
        "run",
        "--server",
        "http://127.0.0.1:9",
        "-d",
        "r1",
        "show clock",
    ],
    "netweave run (local engine, unknown device)": [
        str(BIN / "netweave"),
        "run",
        "-d",
        "no-such-device",
        "show clock",
    ],
    "every command imported (the old start)": [sys.executable, "-c", EAGER],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    import netweave

    compileall.compile_dir(Path(netweave.__file__).parent, quiet=1)
    data = tempfile.mkdtemp(prefix="netweave-bench-cli-")
    env = {**os.environ, "NETWEAVE_DATA_DIR": data}
    subprocess.run(
        VARIANTS["netweave run (local engine, unknown device)"],
        env=env,
        check=False,
        capture_output=True,
    )  # creates the installation once
    env["NETWEAVE_API_KEY"] = "k" * 32  # the remote variant's key (the local mode ignores it)
    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(args.runs):
        for name, command in VARIANTS.items():
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, env=env, check=False)
            samples[name].append(time.perf_counter() - start)
    floor = statistics.median(samples["python -c pass (floor)"])
    eager = statistics.median(samples["every command imported (the old start)"])
    print(f"{'variant':45} {'median s':>9} {'p90 s':>7} {'vs old':>7}")
    for name, values in samples.items():
        ordered = sorted(values)
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        median = statistics.median(values)
        print(f"{name:45} {median:9.3f} {p90:7.3f} {eager / median:6.1f}x")
    print(f"floor {floor:.3f} s; target for --help and run: <= 0.8 s")


if __name__ == "__main__":
    main()
