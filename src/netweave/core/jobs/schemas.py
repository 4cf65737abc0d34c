"""Request and response shapes of NetPulse v0.4 (what ``netpulse-sdk`` 0.4.x sends/reads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from netweave.core.jobs.transfer_spec import FileTransferSpec
from netweave.foundation import ttp_safety
from netweave.foundation.bounded import BoundedJson, check_bounded

Commands = str | list[str]


class CredentialRef(BaseModel):
    """A credential of the inventory by name: stored (encrypted) or kept in Vault/OpenBao,
    read by the worker that runs the job (NetPulse calls it a Vault reference)."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1, max_length=255)
    # NetPulse's provider form {"name": "vault_kv", "ref": ...}: see credential_refs.py
    ref: str | None = Field(default=None, min_length=1, max_length=1024)
    mount: str | None = Field(default=None, min_length=1, max_length=255)
    version: int | None = Field(default=None, ge=1)
    field_mapping: dict[str, str] | None = None
    namespace: str | None = Field(default=None, max_length=255)

    @model_validator(mode="before")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        return check_bounded(value)  # extra fields are stored with the job

    @model_validator(mode="after")
    def _provider_form(self) -> CredentialRef:
        provider = ("mount", "version", "field_mapping", "namespace")
        if self.ref is None and any(getattr(self, key) is not None for key in provider):
            raise ValueError("mount, version, field_mapping and namespace go with ref")
        if self.ref is not None and self.name != "vault_kv":
            raise ValueError("a ref is read by the vault_kv provider: name must be vault_kv")
        return self


class RenderingSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Literal["jinja2"] = "jinja2"
    template: str | None = Field(default=None, max_length=200_000)
    context: BoundedJson = Field(default_factory=dict)


class NtcTemplateArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: str = Field(min_length=1, max_length=100)
    command: str = Field(min_length=1, max_length=1000)


class ParsingSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Literal["textfsm", "ntc_templates", "ttp"] = "ntc_templates"
    template: str | None = Field(default=None, max_length=200_000)
    platform: str | None = None
    use_ntc_template: bool = False  # NetPulse's textfsm + ntc-templates (by platform+command)
    ntc_template_args: NtcTemplateArgs | None = None

    @field_validator("template")
    @classmethod
    def _ttp_without_code(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and info.data.get("name") == "ttp":
            ttp_safety.check_template(value)  # UnsafeTemplate is a ValueError: a 422
        return value

    @model_validator(mode="after")
    def _ntc_options(self) -> ParsingSpec:
        if self.use_ntc_template and self.name == "ttp":
            raise ValueError("use_ntc_template parses with TextFSM: name must be textfsm")
        if self.ntc_template_args is not None and not self.use_ntc_template:
            raise ValueError("ntc_template_args go with use_ntc_template: true")
        return self


class WebhookSpec(BaseModel):
    """NetPulse's WebHook (what ``netpulse-sdk``'s WebhookConfig declares). Headers,
    cookies and auth are sealed with the job; see ``webhooks.py`` for the body sent."""

    model_config = ConfigDict(extra="allow")

    name: Literal["basic"] = "basic"
    url: AnyHttpUrl
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    cookies: dict[str, str] = Field(default_factory=dict)
    auth: tuple[str, str] | None = Field(default=None, description="Basic auth: [user, password]")
    timeout: float = Field(default=5.0, ge=0.5, le=120)
    max_retries: int | None = Field(default=None, ge=0, le=10, description="Default 3")
    retry_intervals: list[float] | None = Field(
        default=None, max_length=10, description="Seconds before each retry (the last repeats)"
    )

    @field_validator("retry_intervals")
    @classmethod
    def _intervals(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and any(not 0 <= seconds <= 3600 for seconds in value):
            raise ValueError("each retry interval is 0 to 3600 seconds")
        return value

    @model_validator(mode="before")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        return check_bounded(value)  # extra fields are stored with the job


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid")

    driver: str = "netmiko"
    connection_args: BoundedJson = Field(default_factory=dict)
    credential: CredentialRef | None = None
    command: Commands | None = None
    config: Commands | None = None
    driver_args: BoundedJson = Field(default_factory=dict)
    rendering: RenderingSpec | None = None
    parsing: ParsingSpec | None = None
    queue_strategy: Literal["pinned", "fifo"] | None = None
    ttl: int = Field(default=300, ge=1, le=86_400, description="Seconds a job may wait queued")
    execution_timeout: int | None = Field(default=None, ge=1, le=86_400)
    retries: int = Field(
        default=0,
        ge=0,
        le=5,
        description="Run again (on a surviving node) this many times when the worker node "
        "running the job dies; only for operations safe to repeat",
    )
    result_ttl: int | None = Field(default=None, ge=60, le=604_800)
    webhook: WebhookSpec | None = None
    enable_mode: bool | None = None
    save: bool | None = None
    audit_mode: Literal["full", "metadata", "none"] | None = None
    file_transfer: FileTransferSpec | None = None
    detach: bool | None = Field(
        default=None, description="Run as a detached task (/detached-tasks): commands only"
    )
    push_interval: int | None = Field(
        default=None, ge=1, le=3600, description="Detached: new output to the webhook every N s"
    )
    staged_file_id: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _one_operation(self) -> _Common:
        if self.file_transfer is not None:  # a file transfer is the whole operation
            if self.command is not None or self.config is not None:
                raise ValueError("file_transfer: no command or config with a file transfer")
        elif (self.command is None) == (self.config is None):
            raise ValueError("exactly one of command or config is required")
        return self  # detach and push_interval: checked with the driver (jobs.detached)


class ExecRequest(_Common):
    """One device: ``connection_args.host`` is an address or an inventory device name."""


class BulkRequest(_Common):
    """Many devices: each entry of ``devices`` overrides ``connection_args`` for one device."""

    devices: list[BoundedJson] = Field(min_length=1, max_length=100_000)


class TestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    driver: str = "netmiko"
    connection_args: BoundedJson
    credential: CredentialRef | None = None


class JobResultItem(BaseModel):
    command: str
    stdout: str
    stderr: str = ""
    exit_status: int = 0
    metadata: dict[str, Any] = Field(default_factory=dict)
    parsed: Any = None
    download_url: str | None = None  # a file_transfer download: where to fetch it


class JobError(BaseModel):
    type: str
    message: str
    cause: str | None = None  # driver failures: auth_failed, connection_refused, timeout ...


class JobResult(BaseModel):
    type: int  # 1 ok, 2 failed, 3 stopped, 4 retried
    retval: list[JobResultItem] | None = None
    error: JobError | None = None


class JobRead(BaseModel):
    id: str
    status: str
    queue: str
    worker: str | None
    created_at: datetime
    enqueued_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    duration: float | None
    queue_time: float | None
    result: JobResult | None
    device: str
    driver: str
    task_id: str | None = None  # a detached task's id (/detached-tasks/{task_id})


class BulkFailure(BaseModel):
    host: str
    reason: str


class BulkResponse(BaseModel):
    succeeded: list[JobRead]
    failed: list[BulkFailure]


class TestResponse(BaseModel):
    success: bool
    latency: float | None
    error: str | None
    host: str
    driver: str
    timestamp: datetime
    result: dict[str, Any] = Field(default_factory=dict)


class WorkerRead(BaseModel):
    name: str
    status: str
    pid: int
    hostname: str
    queues: list[str]
    current_job: str | None
    birth_at: datetime
    last_heartbeat: datetime
    successful_job_count: int
    failed_job_count: int
