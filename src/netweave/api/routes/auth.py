"""UI login sessions (cookie) and the caller's identity."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from netweave.api.clientaddr import client_address
from netweave.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    DbSession,
    RuntimeDep,
    SignedIn,
    session_cookie,
)
from netweave.api.responses import errors
from netweave.core.access import scopes, throttle, tokens
from netweave.core.access.password_policy import PasswordPolicy
from netweave.core.access.schemas import LoginRequest, PasswordChange, UserRead
from netweave.core.access.signin import sign_in
from netweave.core.access.users import change_password as change_own_password
from netweave.core.access.users import get_user

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Me(BaseModel):
    user: UserRead = Field(description="``role``: what you may do (yours and your groups')")
    via: str
    groups: list[str] = Field(default_factory=list, description="The groups you are in")


@router.post(
    "/login",
    response_model=UserRead,
    responses=errors(401, 429),
)
def login(
    body: LoginRequest, request: Request, runtime: RuntimeDep, response: Response
) -> UserRead:
    """Failed logins are limited per (username, client address) (``login_max_failures``
    per ``login_failure_window`` s, then 429 with Retry-After) and per client address
    (``login_max_failures_per_address``); X-Forwarded-For counts only from
    ``trusted_proxies``."""
    settings = runtime.settings
    ttl = timedelta(hours=settings.session_ttl_hours)
    limits = throttle.Limits(
        settings.login_max_failures,
        settings.login_failure_window,
        settings.login_max_failures_per_address,
    )
    client = client_address(request)
    user, token = sign_in(
        runtime.sessions,
        limits,
        body.username,
        body.password.get_secret_value(),
        client,
        ttl,
        settings,
    )
    # Secure: always with NETWEAVE_COOKIE_SECURE, else in production bound beyond localhost
    secure = settings.cookie_secure or (
        settings.is_production and settings.host not in ("127.0.0.1", "localhost")
    )
    age = int(ttl.total_seconds())
    response.set_cookie(
        SESSION_COOKIE, token, max_age=age, httponly=True, samesite="lax", secure=secure
    )
    # double-submit CSRF token: the UI's scripts echo it in the X-CSRF-Token header
    response.set_cookie(
        CSRF_COOKIE, tokens.csrf_token(token), max_age=age, samesite="strict", secure=secure
    )
    return user


@router.post("/logout", status_code=204)
def logout(request: Request, db: DbSession, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        tokens.logout(db, token)
        db.commit()
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


@router.get("/me", response_model=Me)
def me(principal: SignedIn, db: DbSession) -> Me:
    """``user.must_change_password``: the session was opened with a one-time password and
    may do nothing but choose a new one (``POST /auth/password``)."""
    user = get_user(db, principal.user_id)
    rights = scopes.rights(db, user)
    shown = UserRead.model_validate(user).model_copy(update={"role": rights.role})
    return Me(user=shown, via=principal.via, groups=rights.groups)


@router.post("/password", response_model=UserRead, responses=errors(409, 422))
def change_password(
    body: PasswordChange,
    principal: SignedIn,
    db: DbSession,
    runtime: RuntimeDep,
    cookie: Annotated[str | None, Depends(session_cookie)],
) -> UserRead:
    """Change your own password: ``current_password`` is required unless you signed in with
    a one-time password (or one due for a change). The new one must meet the password policy
    (settings ``password_*``: a 422 naming ``new_password`` and the rule). Your other login
    sessions end; this one stays. 409 for a directory user (the directory's password)."""
    current = body.current_password.get_secret_value() if body.current_password else None
    new = body.new_password.get_secret_value()
    policy = PasswordPolicy.from_settings(runtime.settings)
    user = change_own_password(db, principal.user_id, current, new, cookie, policy)
    db.commit()
    return UserRead.model_validate(user)
