"""Webhooks: the account's endpoints (active or not) and each one's delivery log, with every
attempt's answer, read through the webhooks service the API faces call."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mailwright.api.deps import get_runtime
from mailwright.dashboard import PREFIX
from mailwright.dashboard.auth import CustomerDep
from mailwright.dashboard.pages import page
from mailwright.webhooks import service as webhooks

router = APIRouter(prefix=f"{PREFIX}/webhooks", include_in_schema=False)
LOG_LENGTH = 100


@router.get("")
def endpoints(request: Request, who: CustomerDep) -> Response:
    assert who.account is not None
    with get_runtime(request).db.read() as session:
        found = webhooks.all_endpoints_of(session, who.account.id)
    return page(request, "webhooks.html", who, endpoints=found)


@router.get("/{endpoint_id}")
def delivery_log(endpoint_id: str, request: Request, who: CustomerDep) -> Response:
    assert who.account is not None
    with get_runtime(request).db.read() as session:
        endpoint = webhooks.get_endpoint(session, who.account.id, endpoint_id)
        deliveries = webhooks.deliveries_of(session, endpoint, limit=LOG_LENGTH)
    return page(request, "webhook_log.html", who, endpoint=endpoint, deliveries=deliveries, limit=LOG_LENGTH)
