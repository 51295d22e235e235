"""`mailwright db re-encrypt`: after a rotation (new key first, old still listed), every secret
at rest is encrypted with the new key, so that the old one can be dropped; what no key decrypts
is left as it is and named by its row, never shown; a secret changed meanwhile is not overwritten."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from mailwright import runtime as runtime_module
from mailwright.accounts import service as accounts
from mailwright.crypto import SecretBox, SecretKeyError
from mailwright.db import Database
from mailwright.key_check import reencrypt
from mailwright.webhooks import service as webhooks
from mailwright.webhooks.models import WebhookEndpoint
from tests.conftest import Cli, mailwright_env, settings_for, unique

KEY_OLD = "the-old-secret-key-that-is-long-enough-0123456789"
KEY_NEW = "the-new-secret-key-that-is-long-enough-0123456789"
KEY_LOST = "a-key-nobody-has-any-more-long-enough-0123456789"


@pytest.fixture
def database(database_factory, tmp_path):
    """A database whose secrets (three webhook signing secrets) were written with KEY_OLD, and
    one written with a key no process has any more; the plaintexts by endpoint id."""
    url = database_factory(unique("rotate"))
    rt = runtime_module.start(settings_for(url, tmp_path / "old").model_copy(update={"secret_key": KEY_OLD}))
    try:
        with rt.db.write() as session:
            account, _ = accounts.create_account(session, unique("rotating"), "USD")
            created = [
                webhooks.subscribe(session, rt.secrets, account_id=account.id, target_url=f"https://hooks.example.com/{n}", event="*")
                for n in range(3)
            ]
            lost, _ = webhooks.subscribe(session, SecretBox([KEY_LOST]), account_id=account.id, target_url="https://hooks.example.com/lost", event="*")
        plaintexts = {endpoint.id: secret for endpoint, secret in created}
    finally:
        rt.close()
    return url, plaintexts, lost.id


def tokens(url: str) -> dict[str, str]:
    db = Database(url)
    try:
        with db.read() as session:
            return dict(session.execute(sa.select(WebhookEndpoint.id, WebhookEndpoint.secret_enc)).all())
    finally:
        db.dispose()


def webhook_row(doc: dict) -> dict:
    (row,) = [c for c in doc["columns"] if (c["table"], c["column"]) == ("webhook_endpoints", "secret_enc")]
    return row


def test_after_a_rotation_every_secret_is_the_new_key_s_and_the_lost_one_is_named(database, tmp_path):
    url, plaintexts, lost_id = database
    before = tokens(url)
    cli = Cli(mailwright_env(url, tmp_path / "new", secret_key=f"{KEY_NEW},{KEY_OLD}"))

    done = cli("db", "re-encrypt", "--json")
    assert done.returncode == 1, done.stderr  # one secret decrypts with no configured key
    first = json.loads(done.stdout)
    assert {c["column"] for c in first["columns"]} >= {"password_enc", "totp_secret_enc", "secret_enc", "api_key_enc"}
    assert webhook_row(first) == {
        "table": "webhook_endpoints", "column": "secret_enc", "re_encrypted": 3, "already_newest": 0, "changed_meanwhile": 0, "undecryptable": [lost_id],
    }
    assert lost_id in done.stderr
    for secret in (KEY_NEW, KEY_OLD, KEY_LOST, *before.values(), *plaintexts.values()):
        assert secret not in done.stdout + done.stderr

    # The new key alone now reads every secret it could; the lost one is untouched.
    after, new_only = tokens(url), SecretBox([KEY_NEW])
    assert {endpoint_id: new_only.decrypt(after[endpoint_id]) for endpoint_id in plaintexts} == plaintexts
    assert after[lost_id] == before[lost_id]
    with pytest.raises(SecretKeyError):
        SecretBox([KEY_OLD]).decrypt(after[next(iter(plaintexts))])

    again = webhook_row(json.loads(cli("db", "re-encrypt", "--json").stdout))
    assert (again["re_encrypted"], again["already_newest"], again["undecryptable"]) == (0, 3, [lost_id])


def test_a_secret_replaced_between_the_read_and_the_write_is_not_overwritten(database):
    url, plaintexts, _ = database
    box = SecretBox([KEY_NEW, KEY_OLD])
    column = WebhookEndpoint.__table__.c.secret_enc
    key = WebhookEndpoint.__table__.c.id
    stale = [(endpoint_id, token) for endpoint_id, token in tokens(url).items() if endpoint_id in plaintexts]
    replaced_id = stale[0][0]
    db = Database(url)
    try:
        with db.write() as session:  # another process sets a new secret meanwhile
            session.execute(sa.update(WebhookEndpoint).where(WebhookEndpoint.id == replaced_id).values(secret_enc=box.encrypt("replaced")))
        result = reencrypt.ColumnResult("webhook_endpoints", "secret_enc")
        reencrypt._write_batch(db, box, column, key, stale, result)
    finally:
        db.dispose()
    assert (result.re_encrypted, result.changed_meanwhile) == (len(stale) - 1, 1)
    assert box.decrypt(tokens(url)[replaced_id]) == "replaced"
