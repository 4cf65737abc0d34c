"""The documentation site: it builds with ``mkdocs build --strict`` from a copy of the
sources (the API reference generated from the app's OpenAPI first), loads nothing from
the network, and ``docs/security.md`` cites only tests that exist."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("index", "quickstart", "concepts", "api", "deployment", "security", "benchmarks")
GENERATED = ("api.md", "openapi.json")
CITED = re.compile(r"`(tests/[\w/]+\.py)::([\w:]+)`")
EXTERNAL_RESOURCE = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=\"(?:https?:)?//", re.I)


def defined_test_ids(path: Path) -> set[str]:
    """``name`` and ``Class::name`` of every test function the file defines."""
    tree = ast.parse(path.read_text(), filename=str(path))
    ids: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            ids.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            ids.update(
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and item.name.startswith("test")
            )
    return ids


def test_security_page_cites_only_tests_that_exist() -> None:
    text = (ROOT / "docs" / "security.md").read_text()
    assert "## What NetWeave promises" in text and "## Which test proves it" in text
    cited = CITED.findall(text)
    assert len(cited) >= 10, "the security table cites the tests that prove each promise"
    missing = [
        f"{file}::{name}"
        for file, name in cited
        if not (ROOT / file).is_file() or name not in defined_test_ids(ROOT / file)
    ]
    assert not missing, f"docs/security.md cites tests that do not exist: {missing}"


def test_the_id_parser_sees_functions_and_methods(tmp_path: Path) -> None:
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "def test_a():\n    pass\n\ndef helper():\n    pass\n\n"
        "class TestB:\n    def test_c(self):\n        pass\n"
    )
    assert defined_test_ids(sample) == {"test_a", "TestB::test_c"}


def test_site_builds_strict_and_offline(tmp_path: Path) -> None:
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns(*GENERATED))
    generate = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "openapi_docs.py"), "--out", "docs"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert generate.returncode == 0, generate.stderr
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", "site"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert build.returncode == 0, build.stdout + build.stderr
    site = tmp_path / "site"
    for page in PAGES:  # use_directory_urls: false writes page.html
        assert (site / f"{page}.html").is_file(), page
    spec = json.loads((tmp_path / "docs" / "openapi.json").read_text())
    reference = (tmp_path / "docs" / "api.md").read_text()
    undocumented = [path for path in spec["paths"] if f"`{path}`" not in reference]
    assert not undocumented, undocumented
    assert "| `GET` | `/api/v1/devices` |" in reference
    assert "| `POST` | `/api/v1/users` |" in reference and "| admin |" in reference
    assert (site / "openapi.json").is_file()
    for built in site.rglob("*.html"):
        html = built.read_text()
        found = EXTERNAL_RESOURCE.search(html)
        assert found is None, f"{built.name} loads {html[found.start() : found.start() + 120]}"
