"""What the trust model costs on the hot paths, side by side in one run (medians):

- a Jinja2 render and a TextFSM/TTP parse in the server process (what main did) against the
  same work in a warm guard process (time and memory limits, `netweave.foundation.guarded`);
- the session key: host/port/user/driver (before) against the HMAC identity fingerprint.

    .venv/bin/python bench/guard_overhead.py --rounds 2000
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2.sandbox import ImmutableSandboxedEnvironment
from rich.console import Console
from rich.table import Table

from netweave.core import templates
from netweave.core.runtime import GUARD_PRELOAD
from netweave.drivers.base import BaseConnectionArgs
from netweave.foundation import guarded

TEMPLATE = (
    "{% for i in range(24) %}interface Gi0/{{ i }}\n description {{ vars.name }}-{{ i }}\n"
    "{% endfor %}"
)
OUTPUT = "\n".join(f"Gi0/{i}  10.0.{i}.1  YES manual up  up" for i in range(48))
TEXTFSM = (
    "Value INTF (\\S+)\nValue IP (\\S+)\nValue STATUS (up|down)\n\n"
    "Start\n  ^${INTF}\\s+${IP}\\s+\\S+\\s+\\S+\\s+${STATUS} -> Record\n"
)
TTP = "{{ intf }}  {{ ip }}  YES manual {{ status }}  {{ proto }}"


def median_ms(action: Callable[[], Any], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    options = parser.parse_args()
    guarded.configure(5, 512, 2, preload=GUARD_PRELOAD)
    context = {"vars": {"name": "uplink"}}
    env = ImmutableSandboxedEnvironment()
    compiled = env.from_string(TEMPLATE)

    import textfsm
    from ttp import ttp

    def fsm_in_process() -> Any:
        import io

        return textfsm.TextFSM(io.StringIO(TEXTFSM)).ParseText(OUTPUT)

    def ttp_in_process() -> Any:
        parser = ttp(data=OUTPUT, template=TTP)
        parser.parse(one=True)
        return parser.result(structure="flat_list")

    rows = [
        (
            "Jinja2 render (24 interfaces)",
            median_ms(lambda: compiled.render(**context), options.rounds),
            median_ms(lambda: templates.render(TEMPLATE, context), options.rounds),
        ),
        (
            "TextFSM parse (48 lines)",
            median_ms(fsm_in_process, options.rounds),
            median_ms(
                lambda: templates.parse(OUTPUT, name="textfsm", template=TEXTFSM), options.rounds
            ),
        ),
        (
            "TTP parse (48 lines)",
            median_ms(ttp_in_process, options.rounds // 10),
            median_ms(
                lambda: templates.parse(OUTPUT, name="ttp", template=TTP), options.rounds // 10
            ),
        ),
    ]
    args = BaseConnectionArgs.model_validate(
        {"host": "127.1.0.1", "port": 22, "username": "netops", "password": "secret-1"}
    )

    def old_key() -> tuple[str, int, str, str]:
        return (args.host, args.port, args.username or "", "netmiko")

    rows.append(
        (
            "session key",
            median_ms(old_key, options.rounds * 10),
            median_ms(lambda: args.session_key("netmiko"), options.rounds * 10),
        )
    )
    guarded.shutdown()
    table = Table(title=f"Trust model costs (medians, {options.rounds} rounds)")
    for column in ("work", "before (ms)", "now (ms)", "added (ms)"):
        table.add_column(column, justify="right" if column != "work" else "left")
    results = []
    for work, before, now in rows:
        table.add_row(work, f"{before:.3f}", f"{now:.3f}", f"{now - before:+.3f}")
        results.append({"work": work, "before_ms": before, "now_ms": now})
    Console().print(table)
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "guard_overhead.json").write_text(
        json.dumps(
            {"machine": platform.platform(), "rounds": options.rounds, "results": results},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
