"""Driving the dashboard over plain HTTP: sign in as a browser does, read the forms' tokens."""

from __future__ import annotations

import re

import httpx

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
IDEMPOTENCY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def sign_in(base_url: str, key: str) -> tuple[httpx.Client, httpx.Response]:
    """A client that signed in with `key` (the answer to its sign-in POST beside it)."""
    client = httpx.Client(base_url=base_url, timeout=30)
    form = client.get("/dashboard/sign-in")
    assert form.status_code == 200, form.text
    answer = client.post("/dashboard/sign-in", data={"key": key, "csrf_token": csrf_of(form.text)})
    return client, answer


def signed_in(base_url: str, key: str) -> httpx.Client:
    client, answer = sign_in(base_url, key)
    assert answer.status_code == 303, answer.text
    return client


def post_form(client: httpx.Client, page: str, action: str, data: dict[str, object] | None = None) -> httpx.Response:
    """Posts `action` with the CSRF token of the form found on `page`."""
    html = client.get(page).text
    return client.post(action, data={"csrf_token": csrf_of(html), **(data or {})})
