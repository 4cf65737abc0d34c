"""Where the secret hygiene test looks: every API response (a recording client), what a
local HTTP receiver got, every Redis key and value (and pub/sub message), every database
row and the SQLite files byte for byte."""

from __future__ import annotations

import contextlib
import json
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from redis import Redis
from sqlalchemy import select

from netweave.core.runtime import Runtime
from netweave.db.base import Base


class Recorder(TestClient):
    """A TestClient that keeps every response (status line, headers, body)."""

    def __init__(self, *args: Any, seen: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen = seen

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> httpx.Response:
        response = super().request(method, url, *args, **kwargs)
        self.seen.append(
            f"{method} {url} {response.status_code}\n{response.headers}\n{response.text}"
        )
        return response


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """A local HTTP endpoint: job webhooks, REST calls and run notifications land here."""

    url: str
    deliveries: list[Delivery] = field(default_factory=list)

    def to(self, path: str) -> list[Delivery]:
        return [d for d in self.deliveries if d.path == path]


def serve_receiver() -> Iterator[Receiver]:
    """A receiver on a free port until the generator is closed."""
    found: list[Delivery] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode(errors="replace") if length else ""
            found.append(Delivery(self.path, dict(self.headers.items()), body))
            payload = json.dumps({"received": True}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *_: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Receiver(f"http://127.0.0.1:{server.server_address[1]}", found)
    server.shutdown()


def _text(value: Any) -> str:
    """Any stored value as searchable text (bytes as Latin-1, zlib data inflated too)."""
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        text = raw.decode("latin-1")
        with contextlib.suppress(zlib.error):
            text += "\n" + zlib.decompress(raw).decode("latin-1")
        return text
    return str(value)


def redis_dump(redis: Redis) -> str:
    """Every key with every value of every type, plus its DUMP serialization."""
    parts: list[str] = []
    for key in redis.scan_iter(count=1000):
        kind = _text(redis.type(key))
        values: list[Any] = [key, kind]
        if kind == "string":
            values.append(redis.get(key))
        elif kind == "list":
            values += redis.lrange(key, 0, -1)
        elif kind == "hash":
            values += [item for pair in redis.hgetall(key).items() for item in pair]
        elif kind == "set":
            values += list(redis.smembers(key))
        elif kind == "zset":
            values += list(redis.zrange(key, 0, -1))
        elif kind == "stream":
            values.append(repr(redis.xrange(key)))
        values.append(redis.dump(key))
        parts += [_text(v) for v in values]
    return "\n".join(parts)


def database_dump(runtime: Runtime) -> str:
    """Every row of every table, as text."""
    lines = []
    with runtime.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                lines.append(f"{table.name}: " + " | ".join(_text(v) for v in row))
    return "\n".join(lines)


def sqlite_files(runtime: Runtime) -> str:
    """The SQLite database and its WAL byte for byte (free pages included)."""
    url = runtime.engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        return ""
    base = Path(url.database)
    return "\n".join(
        p.read_bytes().decode("latin-1") for p in (base, Path(f"{base}-wal")) if p.exists()
    )


class RedisWatch:
    """Snapshots of the private Redis while jobs wait and run, and every pub/sub message."""

    def __init__(self, url: str) -> None:
        self.redis = Redis.from_url(url)
        self.snapshots: list[str] = []
        self.messages: list[str] = []
        self._pubsub = self.redis.pubsub()
        self._pubsub.psubscribe(**{"*": self._heard})
        self._thread = self._pubsub.run_in_thread(sleep_time=0.05, daemon=True)

    def _heard(self, message: dict[str, Any]) -> None:
        self.messages.append(f"{_text(message.get('channel'))} {_text(message.get('data'))}")

    def snapshot(self) -> None:
        self.snapshots.append(redis_dump(self.redis))

    def close(self) -> None:
        self._thread.stop()
        self._pubsub.close()
