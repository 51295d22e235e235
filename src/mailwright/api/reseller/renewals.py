"""What the renew endpoints (subscriptions and domains) share: one transaction per request with
the account locked, Idempotency-Key replay inside it, and the recorded action's body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from mailwright.accounts.models import Account
from mailwright.api.reseller.deps import lookup_given_user
from mailwright.api.reseller.errors import RequestProblems
from mailwright.billing import renew_now
from mailwright.billing.models import RenewalAction, RenewalKind
from mailwright.clock import iso
from mailwright.errors import NotFound
from mailwright.money import Money
from mailwright.orders import idempotency
from mailwright.runtime import Runtime
from mailwright.wallet import service as wallet

IdempotencyKeyDep = Annotated[
    str | None,
    Header(alias=idempotency.HEADER, description="A repeat with the same key is answered with the first answer, charged once"),
]


def renew_once(runtime: Runtime, request: idempotency.KeyedRequest, renew: Callable[[Session], dict[str, Any]]) -> JSONResponse:
    """Runs `renew` (which returns the success envelope) in one transaction under the account
    lock; a keyed repeat gets the stored answer instead, so it is never charged twice."""
    with renew_now.renewal_transaction(runtime) as session:
        wallet.lock_account(session, request.account_id)
        stored = request.replay(session)
        if stored:
            return JSONResponse(stored.body, status_code=stored.status_code)
        answer = renew(session)
        request.remember(session, 200, answer)
    return JSONResponse(answer)


def find_action(session: Session, account: Account, user_id: str | None, action_id: str, kind: str) -> RenewalAction:
    """The reseller's recorded renewal (of the user, when userId is given); every unknown one is named."""
    problems = RequestProblems()
    user = lookup_given_user(session, account, user_id, problems)
    try:
        action: RenewalAction | None = renew_now.find_action(session, account.id, action_id, kind)
    except NotFound:
        action = None
        problems.missing("Renewal action not found", "actionId", "No such renewal action of yours")
    if action is not None and user is not None and action.user_id != user.id:
        problems.missing("Renewal action not found", "actionId", "No such renewal action of this user")
    problems.raise_if_any()
    assert action is not None
    return action


def action_body(action: RenewalAction) -> dict[str, Any]:
    """The recorded renewal as the face shows it (subscriptions or domains, by its kind)."""
    return {
        "actionId": action.id,
        "userId": action.user_id,
        "createdAt": iso(action.created_at),
        "totalCharged": Money(action.total_minor, action.currency).decimal,
        "currency": action.currency,
        "renewed": [_item_body(action.kind, item) for item in renew_now.items_of(action)],
    }


def _item_body(kind: str, item: renew_now.RenewedItem) -> dict[str, Any]:
    if kind == RenewalKind.SUBSCRIPTIONS:
        return {"subscriptionId": item.id, "periodEnd": iso(item.ends_at), "domain": item.name, "amount": item.amount.decimal}
    return {"domainId": item.id, "domainName": item.name, "expireOn": iso(item.ends_at), "amount": item.amount.decimal}
