"""What an RQ job calls: the process's job runner, with the SQL job id."""

from __future__ import annotations

from netweave.executor.rq_backend import current_runner


def run_job(job_id: str) -> None:
    current_runner()(job_id)
