"""All ORM models; importing this package registers every table on ``Base.metadata``."""

from netweave.db.models.access import (
    ApiKey,
    AuthFailure,
    Group,
    GroupMember,
    LoginSession,
    LoginThrottle,
    Role,
    User,
)
from netweave.db.models.automation import (
    Automation,
    ConfigVersion,
    Lease,
    Result,
    Run,
    ServiceType,
)
from netweave.db.models.events import (
    ChangeRecord,
    EventRule,
    RuleFiring,
    SyslogEntry,
    Task,
    TaskFiring,
    Trigger,
)
from netweave.db.models.inventory import (
    Bastion,
    Credential,
    Device,
    DeviceTag,
    Link,
    Pool,
    PoolMember,
)
from netweave.db.models.jobs import Job
from netweave.db.models.permissions import PERMISSION_MODELS, ObjectAcl, ObjectGrant
from netweave.db.models.terminal import TerminalSession

__all__ = [
    "PERMISSION_MODELS",
    "ApiKey",
    "AuthFailure",
    "Automation",
    "Bastion",
    "ChangeRecord",
    "ConfigVersion",
    "Credential",
    "Device",
    "DeviceTag",
    "EventRule",
    "Group",
    "GroupMember",
    "Job",
    "Lease",
    "Link",
    "LoginSession",
    "LoginThrottle",
    "ObjectAcl",
    "ObjectGrant",
    "Pool",
    "PoolMember",
    "Result",
    "Role",
    "RuleFiring",
    "Run",
    "ServiceType",
    "SyslogEntry",
    "Task",
    "TaskFiring",
    "TerminalSession",
    "Trigger",
    "User",
]
