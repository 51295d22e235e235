"""Signed-in browsers: a random token in an HttpOnly cookie, a row per session (its hash), and a
CSRF token per session. Rows, not signed tokens: signing out, or revoking the key signed in with,
ends the session at once (docs/decisions/1200-dashboard.md)."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright import clock
from mailwright.accounts import service as accounts
from mailwright.accounts.models import Account
from mailwright.crypto import hash_api_key
from mailwright.dashboard.models import DashboardSession
from mailwright.operators import service as operators

COOKIE = "mw_dashboard"
# Before signing in there is no session: the sign-in form's CSRF token is doubled in this cookie.
SIGN_IN_COOKIE = "mw_dashboard_signin"
LIFETIME = dt.timedelta(hours=12)


@dataclass(frozen=True)
class Viewer:
    """Who is looking: an account (signed in with one of its API keys) or an operator."""

    token_hash: str
    csrf_token: str
    account: Account | None
    is_operator: bool


@dataclass(frozen=True)
class SignIn:
    token: str
    viewer: Viewer


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(given: object, expected: str) -> bool:
    return isinstance(given, str) and bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def sign_in(session: Session, key: str) -> SignIn | None:
    """A new session for a valid API key or operator key; None for anything else."""
    _forget_expired(session)
    row = DashboardSession(csrf_token=new_token(), expires_at=clock.now() + LIFETIME)
    api_key = accounts.authenticate_key(session, key)
    if api_key is not None:
        row.account_id, row.api_key_id = api_key.account_id, api_key.id
    else:
        operator_key = operators.authenticate(session, key)
        if operator_key is None:
            return None
        row.operator_key_id = operator_key.id
    token = new_token()
    row.token_hash = hash_api_key(token)
    session.add(row)
    session.flush()
    return SignIn(token, _viewer(session, row))


def find(session: Session, token: str | None) -> Viewer | None:
    """The session of a cookie's token, while unexpired and its key unrevoked."""
    if not token:
        return None
    row = session.get(DashboardSession, hash_api_key(token))
    if row is None or row.expires_at <= clock.now():
        return None
    if row.api_key_id is not None and not accounts.key_is_valid(session, row.api_key_id):
        return None
    if row.operator_key_id is not None and not operators.is_valid(session, row.operator_key_id):
        return None
    return _viewer(session, row)


def sign_out(session: Session, viewer: Viewer) -> None:
    session.execute(sa.delete(DashboardSession).where(DashboardSession.token_hash == viewer.token_hash))


def _viewer(session: Session, row: DashboardSession) -> Viewer:
    account = accounts.get_account(session, row.account_id) if row.account_id else None
    return Viewer(row.token_hash, row.csrf_token, account, row.operator_key_id is not None)


def _forget_expired(session: Session) -> None:
    session.execute(sa.delete(DashboardSession).where(DashboardSession.expires_at <= clock.now()))
