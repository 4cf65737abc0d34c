"""Links between devices."""

from __future__ import annotations

from fastapi import APIRouter

from netweave.api.deps import DbSession, Operator, Viewer
from netweave.api.params import Id, Limit, Offset, SortParam
from netweave.api.responses import LOOKUP_CONFLICT, NOT_FOUND
from netweave.api.text_params import ExactText
from netweave.core.access import fences
from netweave.core.bulk import BulkIds, BulkResult
from netweave.core.inventory import bulk, links
from netweave.core.inventory.schemas import LinkCreate, LinkRead, LinkUpdate, Page

router = APIRouter(prefix="/api/v1/links", tags=["links"])


@router.get("", response_model=Page[LinkRead])
def list_links(
    _: Viewer,
    db: DbSession,
    device: ExactText = None,
    name: ExactText = None,
    sort: SortParam = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[LinkRead]:
    rows, total = links.list_links(
        db, device=device, name=name, sort=sort, limit=limit, offset=offset
    )
    return Page(items=[links.to_read(r) for r in rows], total=total, limit=limit, offset=offset)


@router.post("", response_model=LinkRead, status_code=201, responses=LOOKUP_CONFLICT)
def create_link(body: LinkCreate, principal: Operator, db: DbSession) -> LinkRead:
    link = fences.create_link(db, body, principal.username)
    db.commit()
    return links.to_read(link)


@router.post("/bulk-delete", response_model=BulkResult, responses=LOOKUP_CONFLICT)
def bulk_delete_links(body: BulkIds, principal: Operator, db: DbSession) -> BulkResult:
    """Delete every listed link: all or nothing (pool fences apply to each)."""
    result = bulk.delete_links(db, body, principal.username)
    db.commit()
    return result


@router.get("/{link_id}", response_model=LinkRead, responses=NOT_FOUND)
def get_link(link_id: Id, _: Viewer, db: DbSession) -> LinkRead:
    return links.to_read(links.get_link(db, link_id))


@router.patch("/{link_id}", response_model=LinkRead, responses=LOOKUP_CONFLICT)
def update_link(link_id: Id, body: LinkUpdate, principal: Operator, db: DbSession) -> LinkRead:
    link = fences.update_link(db, link_id, body, principal.username)
    db.commit()
    return links.to_read(link)


@router.delete("/{link_id}", status_code=204, responses=NOT_FOUND)
def delete_link(link_id: Id, principal: Operator, db: DbSession) -> None:
    fences.delete_link(db, link_id, principal.username)
    db.commit()
