"""Placing an order once: plan it (reads; may ask the registrar), then record, charge and enqueue
it in one transaction, answering a repeat of the same Idempotency-Key as the first time. Every
edge that places orders (the Woodpecker-style face, the dashboard) goes through here."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailwright.accounts.models import Account
from mailwright.api.woodpecker.presenters import accepted_body
from mailwright.errors import RuleViolation
from mailwright.orders import idempotency
from mailwright.orders import service as orders
from mailwright.orders.idempotency import StoredResponse
from mailwright.orders.requests import OrderPlan
from mailwright.runtime import Runtime
from mailwright.wallet import service as wallet


def place_once(
    runtime: Runtime,
    account: Account,
    endpoint: str,
    body: object,
    idempotency_key: str | None,
    plan: Callable[[Session], OrderPlan],
) -> StoredResponse:
    """The 202 answer (order_id, status, total) of the order, or of the earlier one with this key."""
    request = idempotency.KeyedRequest.of(account.id, idempotency_key, endpoint, body)
    try:
        with runtime.db.read() as session:
            stored = request.replay(session)
            planned = None if stored else plan(session)
    except RuleViolation:
        # A concurrent twin of this request may have placed the order since: answer as it did.
        with runtime.db.read() as session:
            stored = request.replay(session)
        if stored is None:
            raise
    if stored:
        return stored
    assert planned is not None
    return _record(runtime, request, planned)


def _record(runtime: Runtime, request: idempotency.KeyedRequest, planned: OrderPlan) -> StoredResponse:
    """A unique-claim collision with a concurrent order means the other request won: the retry
    then sees its claim (or its idempotency record) and answers accordingly."""
    for attempt in range(2):
        try:
            with runtime.db.write() as session:
                # One order at a time per account, so a concurrent twin sees this one's record.
                wallet.lock_account(session, planned.account_id)
                stored = request.replay(session)
                if stored:
                    return stored
                answer = accepted_body(orders.place_order(session, runtime, planned))
                request.remember(session, 202, answer)
            return StoredResponse(202, answer)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")
