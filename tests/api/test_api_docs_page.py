"""``/docs`` works on an offline network: Swagger UI's files come from this server."""

import re

from fastapi.testclient import TestClient


def test_docs_page_loads_its_scripts_from_this_server(anon_client: TestClient) -> None:
    page = anon_client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
    assert sources, page.text
    assert all(s.startswith("/docs/assets/") for s in sources), sources
    assert "/openapi.json" in page.text
    for source in sources:
        asset = anon_client.get(source)
        assert asset.status_code == 200, source
        assert len(asset.content) > 100, source
    assert anon_client.get("/redoc").status_code == 404  # it would load ReDoc from a CDN
