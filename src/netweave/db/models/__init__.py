"""All ORM models; importing this package registers every table on ``Base.metadata``."""

from netweave.db.models.access import ApiKey, LoginSession, Role, User
from netweave.db.models.inventory import Credential, Device, DeviceTag, Link, Pool, PoolMember
from netweave.db.models.jobs import Job

__all__ = [
    "ApiKey",
    "Credential",
    "Device",
    "DeviceTag",
    "Job",
    "Link",
    "LoginSession",
    "Pool",
    "PoolMember",
    "Role",
    "User",
]
