"""Swagger UI and Redoc: served from the sidecar's static files, no CDN, strict scripts."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders
from django.test import Client


def _csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d for d in (p.strip() for p in header.split(";")) if d}


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_swagger_ui_uses_local_assets_and_no_inline_script(db):
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html and "<style" not in html and "style=" not in html
    for url in _assets(html):
        assert url.startswith("/"), url  # nothing from another origin
    static = [u for u in _assets(html) if u.startswith("/static/")]
    assert static and all(finders.find(u.removeprefix("/static/")) for u in static)
    csp = _csp(response)
    assert csp["script-src"] == "script-src 'self'"
    assert "'unsafe-inline'" in csp["style-src"]
    script = next(u for u in _assets(html) if "script" in u and not u.startswith("/static/"))
    init = Client().get(script)
    assert init.status_code == 200 and "SwaggerUIBundle" in init.content.decode()


def test_redoc_uses_local_assets_and_other_pages_keep_the_strict_policy(db):
    response = Client().get("/api/redoc/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html and "googleapis" not in html
    assert all(u.startswith("/") for u in _assets(html))
    assert all(finders.find(u.removeprefix("/static/")) for u in _assets(html))
    assert _csp(Client().get("/accounts/login/"))["style-src"] == "style-src 'self'"
