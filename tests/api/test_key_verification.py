"""Issue 20 item 3: an API key that is not in the key cache (new, or dropped from it every
``key_cache.TTL`` seconds) is verified once however many requests carry it at that moment:
the others wait for that verification instead of each reading the database and
recording the key's use. A wrong key is refused to every one of them."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest

from netweave.api import deps
from netweave.api.app import create_app
from netweave.core.access import key_cache
from netweave.core.runtime import Runtime
from tests.fixtures.database import ONE_BACKEND
from tests.reliability.harness import admin_key

pytestmark = ONE_BACKEND
AT_ONCE = 30


async def _together(runtime: Runtime, key: str) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await asyncio.gather(
            *(
                client.get("/jobs", params={"limit": 1}, headers={"X-API-KEY": key})
                for _ in range(AT_ONCE)
            )
        )


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Each database verification of a key, held a moment so the requests overlap."""
    seen: list[str | None] = []
    lock = threading.Lock()
    real = deps._authenticate

    def counted(request: Any, runtime: Runtime, api_key: str | None, cookie: str | None) -> Any:
        with lock:
            seen.append(api_key)
        time.sleep(0.3)
        return real(request, runtime, api_key, cookie)

    monkeypatch.setattr(deps, "_authenticate", counted)
    return seen


def test_requests_arriving_together_with_an_unverified_key_share_one_verification(
    runtime: Runtime, verifications: list[str | None]
) -> None:
    key = admin_key(runtime, "at-once")
    key_cache.clear()
    answers = asyncio.run(_together(runtime, key))
    assert [a.status_code for a in answers] == [200] * AT_ONCE, answers[0].text
    assert verifications == [key]
    key_cache.clear()  # the cache's TTL passing: one more verification, not thirty
    answers = asyncio.run(_together(runtime, key))
    assert [a.status_code for a in answers] == [200] * AT_ONCE
    assert verifications == [key, key]


def test_a_wrong_key_is_refused_to_every_request_after_one_check(
    runtime: Runtime, verifications: list[str | None]
) -> None:
    wrong = "nw_" + "x" * 40
    answers = asyncio.run(_together(runtime, wrong))
    assert [a.status_code for a in answers] == [401] * AT_ONCE
    assert all("API key" in a.json()["detail"] for a in answers), answers[0].text
    assert verifications == [wrong]
