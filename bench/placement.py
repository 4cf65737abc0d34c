"""Placement strategies side by side (pure, no network): balance, what survives the owner
map being lost (Redis restarted empty) and what moves when a node joins.

* balance: max node load / mean node load after placing D devices on N equal nodes;
* kept after map loss: share of devices placed on the same node again when they arrive
  in another order (each one kept means a warm SSH session reused instead of a new login);
* moved on join: devices moved by the rebalance when node N+1 joins (ideal: D/(N+1));
* choose µs: time per placement decision (median of 5 runs).

    .venv/bin/python bench/placement.py --devices 10000 --nodes 4
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from netweave.executor.placement import NodeLoad, PlacementStrategy, strategies

console = Console()


def place(strategy: PlacementStrategy, names: list[str], devices: list[str]) -> dict[str, str]:
    loads = {name: NodeLoad(capacity=len(devices)) for name in names}
    owners = {}
    for device in devices:
        node = strategy.choose(device, loads)
        loads[node].owned += 1
        owners[device] = node
    return owners


def evaluate(name: str, devices: list[str], nodes: int) -> dict[str, Any]:
    names = [f"node-{n}" for n in range(nodes)]
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        owners = place(strategies.get(name)(), names, devices)
        timings.append((time.perf_counter() - started) / len(devices))
    counts = Counter(owners.values())
    shuffled = devices[:]
    random.Random(1).shuffle(shuffled)
    again = place(strategies.get(name)(), names, shuffled)
    kept = sum(owners[d] == again[d] for d in devices) / len(devices)
    joined = [*names, f"node-{nodes}"]
    loads = {n: NodeLoad(capacity=len(devices), owned=counts.get(n, 0)) for n in joined}
    moves = strategies.get(name)().rebalance(owners, loads, set())
    after = Counter({**owners, **moves}.values())
    return {
        "strategy": name,
        "balance": max(counts.values()) / (len(devices) / nodes),
        "kept_after_map_loss": kept,
        "moved_on_join": len(moves),
        "ideal_moves": len(devices) // (nodes + 1),
        "balance_after_join": max(after.values()) / (len(devices) / (nodes + 1)),
        "choose_us": statistics.median(timings) * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    devices = [f"10.{n // 65536}.{n // 256 % 256}.{n % 256}:22" for n in range(args.devices)]
    rows = [evaluate(n, devices, args.nodes) for n in strategies.names()]
    table = Table(title=f"{args.devices:,} devices on {args.nodes} equal nodes, then one joins")
    for column in (
        "strategy",
        "max/mean load",
        "kept after map loss",
        "moved on join",
        "max/mean after join",
        "choose µs",
    ):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["strategy"],
            f"{row['balance']:.3f}",
            f"{row['kept_after_map_loss']:.1%}",
            f"{row['moved_on_join']:,} (ideal {row['ideal_moves']:,})",
            f"{row['balance_after_join']:.3f}",
            f"{row['choose_us']:.1f}",
        )
    console.print(table)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
