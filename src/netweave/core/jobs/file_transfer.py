"""File-transfer jobs (NetPulse's ``file_transfer``): submission checks, staging of uploads,
the worker side (SCP through the device's pooled session) and fetching staged downloads.

A job's result item carries ``metadata.file_transfer`` (operation, remote path, size, md5,
sha256, the device's md5 and whether it matched) and, for a download, ``download_url``
(``/storage/fetch/{id}``; the API answers it as an absolute URL)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from netweave.core.access.principal import Principal
from netweave.core.access.scopes import ensure_allowed
from netweave.core.jobs.schemas import BulkFailure, BulkRequest, ExecRequest, JobRead, _Common
from netweave.core.jobs.staging import StagedFile, Staging
from netweave.db.models import Job, Role
from netweave.drivers.base import BaseConnectionArgs, Driver, FileOutcome, registry
from netweave.foundation.errors import InvalidInput, NotFound, PermissionDenied

if TYPE_CHECKING:
    from netweave.core.jobs.runner import JobRunner
    from netweave.core.jobs.service import JobService

FETCH_PATH = "/storage/fetch/"
OK, FAILED = 1, 2


def download_url(file_id: str) -> str:
    return FETCH_PATH + file_id


class FileJobs:
    """What the API calls for ``/device/exec`` and ``/device/bulk`` (all of them: a request
    without ``file_transfer`` goes straight to the job service) and ``/storage/fetch``."""

    def __init__(self, jobs: JobService, staging: Staging) -> None:
        self.jobs = jobs
        self.staging = staging

    def submit_exec(
        self,
        request: ExecRequest,
        principal: Principal,
        upload: IO[bytes] | None = None,
        filename: str = "",
    ) -> JobRead:
        """``upload``: the multipart ``file`` part; staged (size-capped, hashed) first."""
        self.check(request, principal, has_file=upload is not None)
        if upload is None:
            return self.jobs.submit_exec(request, principal)
        staged = self.staging.stage_upload(upload, filename, principal.user_id)
        try:
            return self.jobs.submit_exec(
                request.model_copy(update={"staged_file_id": staged.id}), principal
            )
        except BaseException:
            self.staging.delete(staged.id)  # refused (fences, scopes ...): nothing kept
            raise

    def submit_bulk(
        self, request: BulkRequest, principal: Principal
    ) -> tuple[list[JobRead], list[BulkFailure]]:
        """A bulk upload names a staged file (``staged_file_id``: an earlier upload)."""
        self.check(request, principal, has_file=False)
        return self.jobs.submit_bulk(request, principal)

    def check(self, request: _Common, principal: Principal, *, has_file: bool) -> None:
        spec = request.file_transfer
        if spec is None:
            if has_file:
                raise InvalidInput("a file part needs file_transfer.operation upload", field="file")
            if request.staged_file_id:
                raise InvalidInput(
                    "staged_file_id goes with file_transfer.operation upload",
                    field="staged_file_id",
                )
            return
        driver: type[Driver] = registry.get(request.driver, field="driver")
        if not driver.transfers_files:
            raise InvalidInput(
                f"the {driver.name} driver does not transfer files (netmiko does, over SCP)",
                field="driver",
            )
        for name in ("rendering", "parsing"):
            if getattr(request, name) is not None:
                raise InvalidInput(f"{name} does not apply to a file transfer", field=name)
        if spec.operation == "download":
            if has_file or request.staged_file_id:
                field = "file" if has_file else "staged_file_id"
                raise InvalidInput("a download takes no file", field=field)
            return
        if has_file and request.staged_file_id:
            raise InvalidInput(
                "either a file part or staged_file_id, not both", field="staged_file_id"
            )
        if not has_file and not request.staged_file_id:
            raise InvalidInput(
                "an upload needs the file (multipart part 'file') or staged_file_id", field="file"
            )
        if request.staged_file_id:
            staged = self.staging.get(request.staged_file_id, "upload", field="staged_file_id")
            if staged.owner_id != principal.user_id and not principal.has_role(Role.admin):
                raise NotFound(  # someone else's upload: as if it did not exist
                    f"no staged file with id {staged.id!r}", field="staged_file_id"
                )

    def fetch(self, file_id: str, principal: Principal) -> tuple[StagedFile, Path]:
        """A staged download for its job's owner, an admin, or an operator allowed on the
        device (pool fences); a viewer only fetches the files of their own jobs."""
        staged = self.staging.get(file_id, "download")
        if staged.owner_id != principal.user_id and not principal.has_role(Role.admin):
            if not principal.has_role(Role.operator):
                raise PermissionDenied(
                    "only operators fetch files of jobs they did not submit", field="file_id"
                )
            with self.jobs.sessions() as session:
                ensure_allowed(
                    session,
                    principal.username,
                    device_ids=[staged.device_id] if staged.device_id is not None else [],
                    addresses=[] if staged.device_id is not None else [(staged.host, staged.port)],
                    field="file_id",
                )
        return staged, self.staging.path(staged)


# -- worker side ---------------------------------------------------------------------------
def run(runner: JobRunner, job: Job, driver_cls: type[Driver], args: BaseConnectionArgs) -> None:
    """Run one file-transfer job on a pooled session and record its result. A
    ``DriverError`` goes up to the runner (which records it like any driver failure)."""
    staging = runner.staging
    if staging is None:
        runner._finish(job, "failed", None, _error("internal", "this process cannot stage files"))
        return
    spec: dict[str, Any] = job.request["file_transfer"]
    remote = str(spec["remote_path"])
    options = runner._options(job)
    if spec["operation"] == "upload":
        try:
            staged = staging.get(str(job.request.get("staged_file_id")), "upload", "staged_file_id")
        except NotFound as exc:
            runner._finish(job, "failed", None, _error("invalid_request", exc.to_detail()))
            return
        with staging.path(staged).open("rb") as source:
            outcome, reused = runner.pool.run(
                driver_cls(),
                args,
                lambda s: s.put_file(source, staged.size, remote, options),
                retry_on_dead_session=False,  # the source is half read: no silent second try
            )
        url = None
    else:
        name = os.path.basename(remote.rsplit(":", 1)[-1]) or "download"
        device = (job.device_id, args.host, args.port)
        staged, path = staging.new_download(name, job.owner_id, job.id, device)
        try:
            with path.open("xb") as sink:

                def fetch(session: Any) -> FileOutcome:
                    sink.seek(0)
                    sink.truncate()  # a retry on a fresh session starts over
                    return session.get_file(
                        remote, sink, staging.settings.file_download_max_bytes, options
                    )

                outcome, reused = runner.pool.run(
                    driver_cls(), args, fetch, retry_on_dead_session=True
                )
            staging.finish(staged, outcome.size, outcome.md5, outcome.sha256)
        except BaseException:
            staging.delete(staged.id)
            raise
        url = download_url(staged.id)
    _record(runner, job, args, spec, staged, outcome, reused, url)


def _record(
    runner: JobRunner,
    job: Job,
    args: BaseConnectionArgs,
    spec: dict[str, Any],
    staged: StagedFile,
    outcome: FileOutcome,
    reused: bool,
    url: str | None,
) -> None:
    operation, remote = spec["operation"], spec["remote_path"]
    details = {
        "operation": operation,
        "remote_path": remote,
        "protocol": outcome.protocol,
        "size": outcome.size,
        "md5": outcome.md5,
        "sha256": outcome.sha256,
        "remote_md5": outcome.remote_md5,
        "verified": outcome.verified,
        "staged_file_id": staged.id,
        "expires_at": staged.expires_at if url else None,
    }
    metadata = runner._metadata(job, args.host, args.port, outcome.duration_seconds, reused)
    metadata["file_transfer"] = details
    moved = "uploaded to" if operation == "upload" else "downloaded from"
    if outcome.verified is None:
        check = "the device reported no md5: not verified"
    else:
        check = "md5 verified on the device" if outcome.verified else "md5 MISMATCH on the device"
    intact = outcome.verified is not False and (operation != "upload" or outcome.md5 == staged.md5)
    item = {
        "command": f"{operation} {remote}",
        "stdout": f"{outcome.size} bytes {moved} {remote} (md5 {outcome.md5}; {check})",
        "stderr": "" if intact else f"checksum mismatch: {check}",
        "exit_status": 0 if intact else 1,
        "download_url": url if intact else None,
        "metadata": metadata,
        "parsed": None,
    }
    if intact:
        runner._finish(job, "finished", {"type": OK, "retval": [item], "error": None}, None)
        return
    if url is not None and runner.staging is not None:
        runner.staging.delete(staged.id)  # a corrupt copy is not served
    error = _error("driver", f"{operation} of {remote!r}: checksum mismatch ({check})")
    runner._finish(job, "failed", {"type": FAILED, "retval": [item], "error": error}, error)


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "message": message}
