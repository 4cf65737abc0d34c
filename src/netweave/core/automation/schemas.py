"""Create/Update/Read schemas of services, workflows, runs and results. The options every
service shares are declared once here (:class:`ServiceOptions`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    computed_field,
)

from netweave.core.inventory.schemas import NAME_PATTERN, DeviceFilter
from netweave.core.templates import check_syntax
from netweave.foundation.bounded import BoundedAny, BoundedJson
from netweave.services.builtin.matching import Check

AutomationName = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^/\s][^/]*$")]
StepId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TargetSpec(Strict):
    """Devices by name, pools by name, and/or an inventory query; the union is used."""

    devices: list[Annotated[str, Field(pattern=NAME_PATTERN)]] = Field(default_factory=list)
    pools: list[str] = Field(default_factory=list)
    query: DeviceFilter | None = None

    def empty(self) -> bool:
        return not self.devices and not self.pools and self.query is None


class Iteration(Strict):
    values: list[BoundedAny] = Field(
        min_length=1, max_length=1000, description="Run once per value (one per line)"
    )
    variable: str = Field(
        default="value",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Name of the value in templates: {{ vars.<variable> }}",
    )


def _report_syntax(text: str) -> str:
    """A report's Jinja2 syntax is checked when it is saved (a 422 naming the line)."""
    if "{" in text:
        check_syntax(text)
    return text


class Notification(Strict):
    webhook: AnyHttpUrl | None = Field(default=None, description="POSTed the run summary")
    email: list[EmailStr] = Field(default_factory=list, description="Mailed the run summary")
    when: Literal["always", "failure", "success"] = "always"


ReportTemplate = Annotated[str, AfterValidator(_report_syntax)]


class ServiceOptions(Strict):
    targets: TargetSpec = Field(default_factory=TargetSpec, description="Default targets")
    run_method: Literal["per_device", "once"] | None = Field(
        default=None, description="One job per device, or once for all (default: the type's)"
    )
    max_parallel: int = Field(default=50, ge=1, le=10_000, description="Devices at a time")
    retries: int = Field(default=0, ge=0, le=10, description="Re-runs of a failed attempt")
    retry_delay: float = Field(default=0, ge=0, le=3600, description="Seconds between tries")
    timeout: int = Field(default=300, ge=1, le=86_400, description="Seconds per device")
    iteration: Iteration | None = None
    validation: list[Check] = Field(
        default_factory=list, description="Checks on the result that decide success"
    )
    credential: str | None = Field(
        default=None,
        description="Named credential to log in with (none: each device's own)",
        json_schema_extra={"x-lookup": "credentials", "x-select": True},
    )
    notification: Notification | None = None
    mode: Literal["per_device", "per_run"] = Field(
        default="per_device",
        description="Workflows: each device walks its own path, or all devices move together",
    )
    max_runs: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Runs of this service or workflow at a time; more wait queued (none: no limit)",
    )
    report: ReportTemplate = Field(
        default="",
        max_length=50_000,
        description="Jinja2 report over the run's results, rendered when the run ends "
        "(run, results, devices): shown on the run page and sent with its notification",
        json_schema_extra={"format": "textarea"},
    )


Expression = Annotated[str, Field(max_length=2000)]


class NodeIn(Strict):
    """A step. Its controls (eNMS's skip query, disabled services, waiting times, priority,
    iteration devices) act per device in the walk; a step with none runs as before."""

    id: StepId
    ref: AutomationName = Field(description="The service or workflow this step runs")
    kind: Literal["service", "workflow"] = "service"
    label: str = Field(default="", max_length=255)
    x: float | None = None
    y: float | None = None
    disabled: bool = Field(
        default=False,
        description="Kept in the graph but not run: every device passes through it as success",
    )
    skip_if: Expression = Field(
        default="",
        description="Jinja expression over device, vars and results: when true for a device, "
        "the step is not run on it (e.g. device.platform == 'juniper_junos')",
    )
    skip_outcome: Literal["success", "failure"] = Field(
        default="success", description="The edge a skipped device follows"
    )
    wait_before: float = Field(
        default=0, ge=0, le=3600, description="Seconds to wait before the step starts"
    )
    wait_after: float = Field(
        default=0, ge=0, le=3600, description="Seconds to wait after it, before the next step"
    )
    priority: int = Field(
        default=0,
        ge=-100,
        le=100,
        description="When several steps are ready, higher priority is sent first",
    )
    iteration_devices: Expression = Field(
        default="",
        description="Jinja expression giving device names (e.g. the neighbors an earlier step "
        "found) or {'custom_fields': {field: value}} items (the devices holding those "
        "values): the step runs on those devices instead, and succeeds for this device when "
        "it succeeds on all of them",
    )


class EdgeIn(Strict):
    source: str
    target: str
    kind: Literal["success", "failure", "prerequisite"] = Field(
        default="success",
        description="success/failure: the path a device takes on that outcome (one of each "
        "per step); prerequisite: the target runs after the source has run, whatever its "
        "outcome, and a step with several prerequisite edges waits for all its parents",
    )


class CanvasPosition(Strict):
    x: float = Field(allow_inf_nan=False)
    y: float = Field(allow_inf_nan=False)


class GraphIn(Strict):
    nodes: list[NodeIn] = Field(min_length=1, max_length=500)
    edges: list[EdgeIn] = Field(max_length=2000)
    layout: dict[Literal["start", "end"], CanvasPosition] = Field(
        default_factory=dict, description="Where the builder draws start and end"
    )


class ServiceCreate(Strict):
    name: AutomationName
    type: str = Field(min_length=1, max_length=128, description="A service type")
    description: str = ""
    inputs: BoundedJson = Field(default_factory=dict)
    options: ServiceOptions = Field(default_factory=ServiceOptions)


class ServiceUpdate(Strict):
    name: AutomationName | None = None
    description: str | None = None
    inputs: BoundedJson | None = None
    options: ServiceOptions | None = None


class WorkflowCreate(Strict):
    name: AutomationName
    description: str = ""
    graph: GraphIn
    options: ServiceOptions = Field(default_factory=ServiceOptions)


class WorkflowUpdate(Strict):
    name: AutomationName | None = None
    description: str | None = None
    graph: GraphIn | None = None
    options: ServiceOptions | None = None


class AutomationRead(BaseModel):
    id: int
    name: str
    kind: str
    type: str
    description: str
    inputs: dict[str, Any]
    options: dict[str, Any]
    graph: dict[str, Any] | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class ServiceTypeRead(BaseModel):
    name: str
    source: str
    title: str
    description: str
    input_schema: dict[str, Any]
    per_device: bool
    driver: str | None
    enabled: bool
    error: str | None
    module: str
    privileged: bool = Field(
        default=False,
        description="Can run code or reach any host from NetWeave: only admins create, "
        "change or delete its services, or run them with other inputs",
    )
    preview_inputs: dict[str, Any] | None = Field(
        default=None,
        description="Changes device configuration: these inputs, merged into a run's, make "
        "it a dry run that shows the change (null: the type changes no configuration)",
    )


class ServiceTypeUpdate(Strict):
    enabled: bool


class RunRequest(Strict):
    targets: TargetSpec | None = Field(default=None, description="Override the default targets")
    inputs: BoundedJson = Field(
        default_factory=dict, description="Service: override inputs (validated)"
    )
    variables: BoundedJson = Field(default_factory=dict, description="Available as vars.*")
    mode: Literal["per_device", "per_run"] | None = None
    wait: float = Field(
        default=0, ge=0, le=3600, description="Seconds to wait for the end (0: return at once)"
    )


class RestartRequest(Strict):
    start_at: str = Field(min_length=1, description="The step to restart from")
    targets: TargetSpec | None = Field(default=None, description="Default: the run's targets")
    wait: float = Field(default=0, ge=0, le=3600)


class RunStep(BaseModel):
    """A step of a run, in the order the run walks them: ``id`` is what results name."""

    id: str
    name: str


class RunRead(BaseModel):
    id: str
    name: str
    kind: str
    status: str
    mode: str
    targets: list[str]
    variables: dict[str, Any]
    trigger: str
    creator: str
    parent_id: str | None
    start_at: str | None
    summary: dict[str, Any]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    steps: list[RunStep] = []

    @computed_field  # type: ignore[prop-decorator]
    @property
    def report(self) -> str | None:
        """The run's report (its ``report`` option rendered when it ended, kept in the
        summary); None: it declares none, or it has not ended."""
        value = self.summary.get("report")
        return value if isinstance(value, str) else None


class ResultRead(BaseModel):
    id: int
    run_id: str
    step: str
    service: str
    device: str
    success: bool
    result: dict[str, Any]
    variables: dict[str, Any]
    logs: str
    attempts: int
    copied: bool
    started_at: datetime
    ended_at: datetime


class ResultDiff(BaseModel):
    first: int
    second: int
    diff: str


class ConfigVersionRead(BaseModel):
    device: str
    version: int
    sha256: str
    size: int
    source: str
    run_id: str | None
    created_at: datetime
    content: str | None = None
    command: str = Field(default="", description="Empty: the running configuration")
    commit: str | None = Field(default=None, description="The git commit holding it")


class ConfigSearchHit(BaseModel):
    device: str
    version: int
    line_number: int
    line: str
    command: str = Field(default="", description="Empty: the running configuration")


class ConfigPush(Strict):
    config: str = Field(min_length=1, description="Lines to merge (Jinja2 allowed)")
    dry_run: bool = Field(default=True, description="Preview the diff only")
    wait: float = Field(default=60, ge=0, le=3600)


class ConfigRollback(Strict):
    version: int | None = Field(default=None, ge=1, le=2**31 - 1)  # a stored version
    commit: str | None = Field(
        default=None,
        pattern=r"^[0-9a-fA-F]{7,40}$",
        description="Instead of version: the configuration at this commit of the repository",
    )
    dry_run: bool = False
    method: Literal["auto", "napalm", "netmiko"] = "auto"
    wait: float = Field(default=60, ge=0, le=3600)
