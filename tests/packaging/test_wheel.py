"""Issue 20 item 4: the wheel carries the built UI. ``python -m build --wheel`` on a copy of
the project; the wheel installed (``pip --python``, no dependencies, no index) into a fresh
virtual environment whose dependencies come from the project's environment by a path
(so the editable install is not seen); its ``netweave serve`` started with no npm or node on
PATH serves /ui/ and its hashed assets with long-lived caching."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.fixtures.database import ONE_BACKEND
from tests.fixtures.ports import free_port
from tests.fixtures.processes import stop

pytestmark = ONE_BACKEND
ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, done.stdout + done.stderr
    return done  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert (ROOT / "src/netweave/web/static/index.html").exists(), "build the UI first: make web"
    tree = tmp_path_factory.mktemp("tree")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(
        ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    out = tmp_path_factory.mktemp("dist")
    _run(
        sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(tree)
    )
    (found,) = out.glob("netweave-*.whl")
    return found


def test_the_wheel_holds_the_built_ui(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "netweave/web/static/index.html" in names
    index = zipfile.ZipFile(wheel).read("netweave/web/static/index.html").decode()
    for asset in re.findall(r'/ui/assets/([^"]+)', index):
        assert f"netweave/web/static/assets/{asset}" in names, asset
    assert any(name.startswith("netweave/db/migrations/versions/") for name in names)


def test_the_installed_wheel_serves_the_ui_without_npm(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "fresh"
    _run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--quiet", str(wheel))  # fmt: skip
    fresh_site = Path(
        _run(
            str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"
        ).stdout.strip()
    )
    # the dependencies: the project's environment as a plain path (its .pth files, the
    # editable netweave among them, are not processed from there)
    (fresh_site / "project-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    where = _run(str(python), "-c", "import netweave; print(netweave.__file__)").stdout
    assert where.startswith(str(venv)), where

    port = free_port()
    env = {
        "PATH": str(venv / "bin"),  # no npm, no node
        "HOME": str(tmp_path),
        "NETWEAVE_DATA_DIR": str(tmp_path / "data"),
        "NETWEAVE_ADMIN_PASSWORD": "wheel-test-password-1234",
    }
    server = subprocess.Popen(
        [str(venv / "bin" / "netweave"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        page = httpx.get(f"{base}/ui/devices")
        assert page.status_code == 200 and "<script" in page.text
        assert page.headers["cache-control"] == "no-cache"
        asset = re.findall(r'(/ui/assets/[^"]+\.js)', page.text)[0]
        served = httpx.get(f"{base}{asset}")
        assert served.status_code == 200 and len(served.content) > 1000
        assert "immutable" in served.headers["cache-control"]
    finally:
        stop(server, 20)
    assert os.path.exists(tmp_path / "data")  # the installation was created where told
