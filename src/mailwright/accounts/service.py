"""Accounts and their API keys. A key is shown once and stored only as a hash."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, make_transient_to_detached

from mailwright import clock
from mailwright.accounts.models import Account, ApiKey
from mailwright.crypto import hash_api_key, new_api_key
from mailwright.db import Database
from mailwright.errors import NotFound
from mailwright.money import CURRENCIES, Money
from mailwright.pagination import LIKE_ESCAPE, Page, PageRequest, contains_pattern, fetch
from mailwright.wallet import service as wallet


def create_account(
    session: Session, name: str, currency: str, *, credit: Money | None = None, is_demo: bool = False
) -> tuple[Account, str]:
    if currency not in CURRENCIES:
        raise ValueError(f"currency must be one of {', '.join(CURRENCIES)}")
    account = Account(name=name, currency=currency, is_demo=is_demo)
    session.add(account)
    session.flush()
    if credit is not None and credit.minor > 0:
        wallet.credit(session, account, credit, "Opening credit")
    _, api_key = create_key(session, account.id)
    return account, api_key


def create_key(session: Session, account_id: str) -> tuple[ApiKey, str]:
    if session.get(Account, account_id) is None:
        raise NotFound("account")
    plain = new_api_key()
    key = ApiKey(account_id=account_id, key_hash=hash_api_key(plain), prefix=plain[:10])
    session.add(key)
    session.flush()
    return key, plain


def revoke_key(session: Session, key_id: str) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("API key")
    if key.revoked_at is None:
        key.revoked_at = clock.now()
    return key


_ACCOUNTS, _KEYS = Account.__table__, ApiKey.__table__
_ACCOUNT_OF_KEY = (
    sa.select(*_ACCOUNTS.columns)
    .join(_KEYS, _KEYS.c.account_id == _ACCOUNTS.c.id)
    .where(_KEYS.c.key_hash == sa.bindparam("key_hash"), _KEYS.c.revoked_at.is_(None))
)
_ACCOUNT_ATTRIBUTES = [(prop.key, prop.columns[0].name) for prop in sa.inspect(Account).column_attrs]


def authenticate(db: Database, api_key: str) -> Account | None:
    """The account of a valid, unrevoked key; None for anything else. Every API request asks it
    first, so it is one prebuilt Core statement on a read connection (bench/README: read path),
    its row made into an Account detached as a closed session's would be."""
    with db.reader.connect() as connection:  # a read: on SQLite, no write lock
        row = connection.execute(_ACCOUNT_OF_KEY, {"key_hash": hash_api_key(api_key)}).first()
    if row is None:
        return None
    values = row._mapping
    account = Account(**{key: values[name] for key, name in _ACCOUNT_ATTRIBUTES})
    make_transient_to_detached(account)
    return account


def authenticate_key(session: Session, api_key: str) -> ApiKey | None:
    """The valid, unrevoked key itself (the dashboard remembers which key signed a browser in)."""
    return session.scalar(sa.select(ApiKey).where(ApiKey.key_hash == hash_api_key(api_key), ApiKey.revoked_at.is_(None)))


def key_is_valid(session: Session, key_id: str) -> bool:
    key = session.get(ApiKey, key_id)
    return key is not None and key.revoked_at is None


def get_account(session: Session, account_id: str) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("account")
    return account


def list_accounts(session: Session) -> list[Account]:
    return list(session.scalars(sa.select(Account).order_by(Account.created_at)))


def accounts_page(session: Session, page: PageRequest, *, search: str = "") -> Page[Account]:
    """One page of every account, newest first; `search` a part of the name or the whole id."""
    statement = sa.select(Account)
    if search:
        statement = statement.where(sa.or_(sa.func.lower(Account.name).like(contains_pattern(search), escape=LIKE_ESCAPE), Account.id == search))
    return fetch(session, statement.order_by(Account.created_at.desc(), Account.id), page)


def list_keys(session: Session, account_id: str) -> list[ApiKey]:
    return list(session.scalars(sa.select(ApiKey).where(ApiKey.account_id == account_id).order_by(ApiKey.created_at)))


def has_any_account(session: Session) -> bool:
    return session.scalar(sa.select(sa.exists().where(Account.id.is_not(None)))) or False
