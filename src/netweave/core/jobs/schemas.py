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

from netweave.foundation import ttp_safety
from netweave.foundation.bounded import BoundedJson, check_bounded

Commands = str | list[str]


class CredentialRef(BaseModel):
    """A credential of the inventory by name: stored (encrypted) or kept in Vault/OpenBao,
    read by the worker that runs the job (NetPulse calls it a Vault reference)."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1, max_length=255)

    @model_validator(mode="before")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        return check_bounded(value)  # extra fields are stored with the job


class RenderingSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Literal["jinja2"] = "jinja2"
    template: str | None = Field(default=None, max_length=200_000)
    context: BoundedJson = Field(default_factory=dict)


class ParsingSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Literal["textfsm", "ntc_templates", "ttp"] = "ntc_templates"
    template: str | None = Field(default=None, max_length=200_000)
    platform: str | None = None

    @field_validator("template")
    @classmethod
    def _ttp_without_code(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and info.data.get("name") == "ttp":
            ttp_safety.check_template(value)  # UnsafeTemplate is a ValueError: a 422
        return value


class WebhookSpec(BaseModel):
    model_config = ConfigDict(extra="allow")

    url: AnyHttpUrl
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: float = Field(default=5.0, gt=0, le=120)

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
    execution_timeout: int | None = Field(default=None, ge=1, le=3600)
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
    file_transfer: BoundedJson | None = None
    detach: bool | None = None
    push_interval: int | None = None
    staged_file_id: str | None = None

    @model_validator(mode="after")
    def _one_operation(self) -> _Common:
        if (self.command is None) == (self.config is None):
            raise ValueError("exactly one of command or config is required")
        for name in ("file_transfer", "staged_file_id", "push_interval"):
            if getattr(self, name):
                raise ValueError(f"{name} is not supported by this server")
        if self.detach:
            raise ValueError("detach is not supported by this server")
        return self


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
