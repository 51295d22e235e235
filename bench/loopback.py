"""HTTP clients for the benchmarks' requests, all plain HTTP to 127.0.0.1: built without TLS
(`verify=False`: there is no certificate to check), since httpx otherwise loads the CA bundle
for every client, about 50 ms of CPU each, and a run builds hundreds (the load generator one per
measurement and process)."""

from __future__ import annotations

from typing import Any

import httpx


def client(**options: Any) -> httpx.Client:
    return httpx.Client(verify=False, **options)


def async_client(**options: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(verify=False, **options)
