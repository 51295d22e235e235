"""/docs and /redoc work without internet access: every asset they name is served here."""

from __future__ import annotations

import re

import pytest

# Static documentation pages and their assets: no database is involved.
pytestmark = pytest.mark.backend_independent

ASSET_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_documentation_pages_name_only_local_assets_that_are_served(anon, page):
    response = anon.get(page)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    urls = re.findall(r"""(?:src|href|spec-url)=["']([^"']+)["']""", html) + re.findall(r"""url: *["']([^"']+)["']""", html)
    assert urls and all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    assert "fonts.googleapis" not in html and "cdn." not in html
    assert "/openapi.json" in urls
    # What the bundles themselves name elsewhere (ReDoc's logo on its CDN) the browser may not fetch.
    policy = dict(d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'"
    sources = {s for directive in policy.values() for s in directive.split()}
    assert sources <= {"'self'", "'unsafe-inline'", "data:", "blob:"}, sources
    for url in urls:
        asset = anon.get(url)
        assert asset.status_code == 200, url
        suffix = url[url.rfind(".") :]
        expected = ASSET_TYPES.get(suffix, "application/json")
        assert asset.headers["content-type"].split(";")[0] == expected, url
        assert len(asset.content) > 100, url
