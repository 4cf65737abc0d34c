"""The open-files limit of a long-running process (``serve``, ``worker``)."""

from __future__ import annotations

import resource


def raise_open_files_limit() -> int:
    """Lift the soft limit on open files to the hard limit and return it. Every client
    connection is a descriptor, every device session three (its socket and the pipe its
    command reads wait on), and the usual soft limit (1024) would refuse the thousandth
    client (bench/api_load.py) or the 340th session of a worker node."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1 << 20)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (OSError, ValueError):  # e.g. capped by the kernel's nr_open
            return soft
    return hard
