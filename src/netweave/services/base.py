"""The service port. A service type is a class with one pydantic ``Inputs`` model (the API
validation, the JSON Schema the UI renders as a form, and the typed argument of ``run``)
and a ``run(ctx, inputs)`` that does the work through a :class:`ServiceContext`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from jinja2 import Environment, TemplateSyntaxError
from pydantic import AfterValidator, BaseModel, ConfigDict

from netweave.drivers.base import CommandOutput, ConfigOutcome
from netweave.foundation.plugins import PluginRegistry


class ServiceInputs(BaseModel):
    """Base of every service's inputs: unknown keys are refused (a typo is a 422)."""

    model_config = ConfigDict(extra="forbid")


_SYNTAX = Environment()  # parses only: templates render in core's sandbox


def _jinja_syntax(text: str) -> str:
    if "{" in text:
        try:
            _SYNTAX.parse(text)
        except TemplateSyntaxError as exc:
            raise ValueError(f"Jinja2 syntax error at line {exc.lineno}: {exc.message}") from None
    return text


Template = Annotated[str, AfterValidator(_jinja_syntax)]
"""An input rendered as a Jinja2 template: its syntax is checked when the service is saved
(a 422 naming the input and the line), not when it first runs."""


I = TypeVar("I", bound=ServiceInputs)  # noqa: E741
R = TypeVar("R")


@dataclass(frozen=True)
class DeviceFacts:
    """What a service knows about its target device (no secrets)."""

    id: int
    name: str
    host: str
    port: int
    platform: str
    driver: str = "netmiko"
    vendor: str = ""
    model: str = ""
    os_version: str = ""
    site: str = ""
    tags: tuple[str, ...] = ()
    custom_fields: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "host": self.host,
            "port": self.port,
            "platform": self.platform,
            "driver": self.driver,
            "vendor": self.vendor,
            "model": self.model,
            "os_version": self.os_version,
            "site": self.site,
            "tags": list(self.tags),
            "custom_fields": dict(self.custom_fields),
        }


@dataclass(frozen=True)
class SavedConfig:
    version: int
    changed: bool  # False when identical to the previous version (nothing new stored)
    diff: str  # unified diff against the previous version


@dataclass(frozen=True)
class DiscoveredLink:
    """A cable a device found (CDP, LLDP): its interface to a neighbour's, both devices by
    their inventory names."""

    local_device: str
    local_interface: str
    remote_device: str
    remote_interface: str
    protocol: str = ""  # cdp, lldp


class ServiceContext(ABC):
    """Everything a running service may touch. The core implements it in the worker."""

    device: DeviceFacts | None  # None for a service that runs once for all targets
    devices: list[DeviceFacts]
    variables: dict[str, Any]
    run_id: str
    timeout: float

    @abstractmethod
    def render(self, text: str, **extra: Any) -> str:
        """Jinja2 (sandboxed) with ``device``, ``devices``, ``vars`` and ``results``."""

    @abstractmethod
    def result(self, step: str) -> dict[str, Any] | None:
        """An earlier step's result for this device in this run (payload passing)."""

    @abstractmethod
    def commands(
        self,
        commands: list[str],
        *,
        driver: str | None = None,
        options: dict[str, Any] | None = None,
        device_type: str | None = None,
        credential: str | None = None,
    ) -> list[CommandOutput]:
        """Run commands on ``device`` over its pooled session. ``device_type`` and
        ``credential`` (a stored credential's name) log in to the device's host and port
        another way than its own (a router whose own login lands in its CLI, reached in its
        Linux shell): a session of its own, the credential's scope checked for the device
        as for the step's own credential."""

    @abstractmethod
    def configure(
        self, lines: list[str], *, driver: str | None = None, options: dict[str, Any] | None = None
    ) -> ConfigOutcome:
        """Push configuration to ``device`` over its pooled session."""

    @abstractmethod
    def session_call(
        self,
        action: Callable[[Any], R],
        *,
        driver: str | None = None,
        read_only: bool = True,
        port: int | None = None,
    ) -> R:
        """Run ``action(session)`` on ``device``'s pooled session of ``driver`` (the device's
        own by default): for services that need more than commands and configuration lines
        (NETCONF RPCs, file transfers). ``read_only``: a session found dead mid-action is
        replaced and the action retried once (never for changes). ``port``: another port
        of the device's host than its own (NETCONF's 830); the credential's scope is
        checked for that port."""

    @abstractmethod
    def save_config(self, text: str) -> SavedConfig:
        """Store ``device``'s running configuration as a new version when it changed."""

    @abstractmethod
    def stored_config(self, version: int | None = None) -> tuple[int, str] | None:
        """A stored version of ``device``'s configuration (the latest when None)."""

    @abstractmethod
    def log(self, message: str) -> None: ...

    @abstractmethod
    def secret(self, credential: str, host: str, port: int | None = None) -> tuple[str, str]:
        """(username, password) of a named credential, for services that log in elsewhere:
        to ``host`` (and ``port``, None: any), which must be inside the credential's scope
        (refused otherwise, before any secret is read)."""

    @abstractmethod
    def run_results(self) -> list[dict[str, Any]]:
        """Every result of this run so far, oldest first, each ``{step, service, device,
        success, result}``: what a step reporting on the whole run (a notification) reads."""

    @abstractmethod
    def run_report(self) -> str | None:
        """The report the running service or workflow declares (its ``report`` option),
        rendered now over the results so far; None when it declares none."""

    @abstractmethod
    def send_mail(self, message: EmailMessage) -> dict[str, Any]:
        """Send ``message`` through the mail relay NetWeave is configured with (the
        ``smtp_*`` settings; its sender when ``From`` is unset): the recipients the relay
        refused. Raises ``ConfigurationError`` when no relay is set, ``OSError`` or
        ``smtplib.SMTPException`` when delivery fails."""

    @abstractmethod
    def find_devices(
        self, *, names: Sequence[str] = (), hosts: Sequence[str] = ()
    ) -> list[DeviceFacts]:
        """Inventory devices whose name is one of ``names`` (case-insensitive) or whose host
        is one of ``hosts``: for services that meet devices by what they call themselves (a
        CDP/LLDP neighbour)."""

    @abstractmethod
    def save_links(
        self, links: Sequence[DiscoveredLink], *, remove_stale: bool = False
    ) -> dict[str, list[str]]:
        """Record links of ``device`` (every link's ``local_device``) in the inventory: one
        link per cable whichever end found it, never twice; ``remove_stale`` deletes the
        device's other links. Returns the link names ``created``, ``kept`` and ``removed``."""

    @abstractmethod
    def save_operational(self, command: str, text: str) -> SavedConfig:
        """Store the output of show ``command`` on ``device`` as a new version when it
        changed, ignoring its volatile parts (uptime, counters): operational data,
        versioned, diffed, searched and committed to git like configurations."""

    @abstractmethod
    def operational_commands(self) -> list[str]:
        """The show commands a backup of ``device`` captures (per platform, the
        ``operational_commands`` setting)."""

    @abstractmethod
    def committed_config(self, commit: str) -> tuple[int | None, str] | None:
        """``device``'s running configuration at ``commit`` of the configuration repository
        (a full or abbreviated sha): its stored version (None: unknown) and text; None
        when the repository has no such commit or no configuration of the device there."""


@dataclass
class ServiceOutcome:
    success: bool
    result: dict[str, Any] = field(default_factory=dict)  # JSON only
    variables: dict[str, Any] = field(default_factory=dict)  # exported to later steps


class Service(ABC, Generic[I]):
    """Subclass with ``Inputs`` and ``run``; register under ``netweave.services``."""

    title: ClassVar[str] = ""
    description: ClassVar[str] = ""
    Inputs: ClassVar[type[ServiceInputs]]
    per_device: ClassVar[bool] = True  # False: one run for all targets (REST, Ansible)
    driver: ClassVar[str | None] = None  # the driver whose sessions it uses, if any
    privileged: ClassVar[bool] = False
    """True for a type that can run code or reach arbitrary hosts from a NetWeave host
    (Ansible, REST calls, custom Python): only admins create, change, delete or run it
    with other inputs; operators run the services admins saved. Every type that is not
    built in (entry points, the custom services folder) counts as privileged whatever it
    says here."""
    preview_inputs: ClassVar[dict[str, Any] | None] = None
    """For a type that changes device configuration: the inputs that make a run of it a dry
    run (it shows what would change, changes nothing). The UI runs that preview and asks for
    a confirmation before the real run. None: the type does not change configuration."""

    @abstractmethod
    def run(self, ctx: ServiceContext, inputs: I) -> ServiceOutcome: ...

    @classmethod
    def schema(cls) -> dict[str, Any]:
        return cls.Inputs.model_json_schema()


registry: PluginRegistry[Service[Any]] = PluginRegistry(
    "netweave.services",
    Service,  # type: ignore[type-abstract]
    noun="service type",
)
