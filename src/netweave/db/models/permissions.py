"""Per-object permissions: an object with an access list (``object_acls`` row) is
restricted: beyond admins and its owner, only the groups granted read, run or edit on it
reach it. An object without one is open to every role as before. Grants name groups; an
object's row removed removes its list (see the listeners at the bottom)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, event, false
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from netweave.db.base import Base
from netweave.db.models.automation import Automation
from netweave.db.models.events import EventRule, Task
from netweave.db.models.inventory import Credential, Pool

# the kinds of object that carry permissions, by the name the API uses
PERMISSION_MODELS: dict[str, type[Any]] = {
    "service": Automation,
    "workflow": Automation,
    "task": Task,
    "event_rule": EventRule,
    "credential": Credential,
    "pool": Pool,
}


class ObjectAcl(Base):
    """``kind`` is "automation" for services and workflows (one id space), else the key of
    :data:`PERMISSION_MODELS`."""

    __tablename__ = "object_acls"
    __table_args__ = (UniqueConstraint("kind", "object_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int] = mapped_column()


class ObjectGrant(Base):
    """Run and edit imply read (the grant is saved with ``can_read`` set)."""

    __tablename__ = "object_grants"
    acl_id: Mapped[int] = mapped_column(
        ForeignKey("object_acls.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    can_read: Mapped[bool] = mapped_column(default=True, server_default=false())
    can_run: Mapped[bool] = mapped_column(default=False, server_default=false())
    can_edit: Mapped[bool] = mapped_column(default=False, server_default=false())


def acl_kind(model: type[Any]) -> str:
    return {Automation: "automation", Task: "task", EventRule: "event_rule"}.get(
        model, {Credential: "credential", Pool: "pool"}.get(model, "")
    )


def _forget(kind: str) -> Any:
    def listener(_: Mapper[Any], connection: Connection, target: Any) -> None:
        acl_ids = ObjectAcl.__table__.c.id
        found = [
            row[0]
            for row in connection.execute(
                ObjectAcl.__table__.select()
                .with_only_columns(acl_ids)
                .where(ObjectAcl.kind == kind, ObjectAcl.object_id == target.id)
            )
        ]
        if found:  # ids are reused by SQLite: a new object never inherits an old list
            connection.execute(delete(ObjectGrant).where(ObjectGrant.acl_id.in_(found)))
            connection.execute(delete(ObjectAcl).where(ObjectAcl.id.in_(found)))

    return listener


for _model in (Automation, Task, EventRule, Credential, Pool):
    event.listen(_model, "after_delete", _forget(acl_kind(_model)))
