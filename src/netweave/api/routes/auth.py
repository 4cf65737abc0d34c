"""UI login sessions (cookie) and the caller's identity."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from netweave.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    DbSession,
    RuntimeDep,
    Viewer,
)
from netweave.core.access import tokens
from netweave.core.access.schemas import LoginRequest, UserRead
from netweave.core.access.users import get_user

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Me(BaseModel):
    user: UserRead
    via: str


@router.post("/login", response_model=UserRead)
def login(body: LoginRequest, db: DbSession, runtime: RuntimeDep, response: Response) -> UserRead:
    ttl = timedelta(hours=runtime.settings.session_ttl_hours)
    user, token = tokens.login(db, body.username, body.password.get_secret_value(), ttl)
    db.commit()
    secure = runtime.settings.is_production and runtime.settings.host not in (
        "127.0.0.1",
        "localhost",
    )
    age = int(ttl.total_seconds())
    response.set_cookie(
        SESSION_COOKIE, token, max_age=age, httponly=True, samesite="lax", secure=secure
    )
    # double-submit CSRF token: the UI's scripts echo it in the X-CSRF-Token header
    response.set_cookie(
        CSRF_COOKIE, tokens.csrf_token(token), max_age=age, samesite="strict", secure=secure
    )
    return UserRead.model_validate(user)


@router.post("/logout", status_code=204)
def logout(request: Request, db: DbSession, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        tokens.logout(db, token)
        db.commit()
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


@router.get("/me", response_model=Me)
def me(principal: Viewer, db: DbSession) -> Me:
    return Me(user=UserRead.model_validate(get_user(db, principal.user_id)), via=principal.via)
