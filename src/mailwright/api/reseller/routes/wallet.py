"""The reseller's wallet: the account's prepaid balance, shared by all its users."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from mailwright.api.reseller.deps import AccountDep, RuntimeDep
from mailwright.api.reseller.envelope import respond
from mailwright.api.reseller.schemas import Envelope, Wallet
from mailwright.wallet import service as wallet

router = APIRouter(prefix="/wallet", tags=["Wallet (ColdMailReseller-style)"])


@router.get("", response_model=Envelope[Wallet], summary="Wallet details: balance and currency")
def wallet_details(account: AccountDep, runtime: RuntimeDep) -> JSONResponse:
    with runtime.db.read() as session:
        balance = wallet.balance(session, account)
    return respond({"balance": balance.decimal, "currency": balance.currency}, "Wallet details fetched successfully")
