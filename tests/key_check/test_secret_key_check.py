"""Every process on one database holds its secrets' key: the first stores a check (a known text
encrypted with its key), every later `serve`, `worker` or command decrypts it at start or
refuses to start with one line naming MAILWRIGHT_SECRET_KEY, never a key."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from mailwright import clock, runtime as runtime_module
from mailwright.accounts import service as accounts
from mailwright.config import Settings
from mailwright.crypto import KEY_FILE_NAME, SecretBox
from mailwright.db import Database, migrate
from mailwright.events.models import Event
from mailwright.key_check.models import SecretKeyCheck
from mailwright.key_check.service import CHECK_TEXT, KeyMismatch, encrypted_columns, open_secret_box
from tests.conftest import Cli, mailwright_env, settings_for, unique

KEY_A = "first-secret-key-that-is-long-enough-0123456789"
KEY_B = "second-secret-key-that-is-long-enough-012345678"


@pytest.fixture(scope="module")
def migrated(database_factory) -> str:
    url = database_factory(unique("keycheck"))
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    return url


@pytest.fixture
def url(migrated: str) -> str:
    """The module's database (it holds no secrets) with no check stored: new as far as keys go."""
    db = Database(migrated)
    with db.write() as session:
        session.execute(sa.delete(SecretKeyCheck))
    db.dispose()
    return migrated


def keyed(database_url: str, data_dir: Path, secret_key: str) -> Settings:
    """A process's settings: MAILWRIGHT_SECRET_KEY as given ("" for the data directory's key file)."""
    return settings_for(database_url, data_dir).model_copy(update={"secret_key": secret_key})


def start(database_url: str, data_dir: Path, secret_key: str) -> None:
    """Starts a runtime the way serve, worker and every command do, then closes it."""
    runtime_module.start(keyed(database_url, data_dir, secret_key)).close()


def refusal(database_url: str, data_dir: Path, secret_key: str) -> str:
    with pytest.raises(KeyMismatch) as refused:
        start(database_url, data_dir, secret_key)
    return f"{refused.value.setting}: {refused.value.message}"


def stored_check(database_url: str) -> SecretKeyCheck | None:
    db = Database(database_url)
    try:
        with db.read() as session:
            return session.get(SecretKeyCheck, 1)
    finally:
        db.dispose()


def assert_names_the_setting_and_remedy(message: str, *keys: str) -> None:
    assert message.startswith("MAILWRIGHT_SECRET_KEY: ")
    assert "every serve, worker and command on one database needs the same key" in message
    for key in keys:
        assert key not in message


def test_the_first_start_stores_the_check_and_the_same_key_starts_again(url, tmp_path):
    start(url, tmp_path / "api", KEY_A)
    check = stored_check(url)
    assert check is not None and SecretBox([KEY_A]).decrypt(check.token) == CHECK_TEXT
    start(url, tmp_path / "worker", KEY_A)  # another machine, same key
    assert stored_check(url).token == check.token  # nothing to rewrite


def test_another_key_is_refused_with_the_setting_and_remedy_and_no_key(url, tmp_path):
    start(url, tmp_path / "api", KEY_A)
    before = stored_check(url).token
    assert_names_the_setting_and_remedy(refusal(url, tmp_path / "worker", KEY_B), KEY_A, KEY_B)
    assert stored_check(url).token == before  # the database's check is not overwritten


def test_without_a_key_another_data_directory_is_refused_and_makes_no_key_file(url, tmp_path):
    start(url, tmp_path / "api", "")  # generates api/secret.key on the new database
    assert (tmp_path / "api" / KEY_FILE_NAME).exists()
    start(url, tmp_path / "api", "")  # the same data directory: the same key
    message = refusal(url, tmp_path / "worker", "")
    assert_names_the_setting_and_remedy(message, (tmp_path / "api" / KEY_FILE_NAME).read_text().strip())
    assert str(tmp_path / "worker" / KEY_FILE_NAME) in message
    assert not (tmp_path / "worker" / KEY_FILE_NAME).exists()  # no key that would stick
    start(url, tmp_path / "worker", (tmp_path / "api" / KEY_FILE_NAME).read_text().strip())  # the remedy


def test_a_rotation_re_encrypts_the_check_with_the_newest_key(url, tmp_path):
    start(url, tmp_path, KEY_A)
    start(url, tmp_path, f"{KEY_B},{KEY_A}")  # the new key first, the old one still listed
    check = stored_check(url)
    assert SecretBox([KEY_B]).decrypt(check.token) == CHECK_TEXT and check.rotated_at is not None
    start(url, tmp_path, KEY_B)  # the old key can go from the check's point of view
    assert_names_the_setting_and_remedy(refusal(url, tmp_path, KEY_A), KEY_A)  # a process left on the old key only


def test_a_database_with_secrets_but_no_check_takes_only_their_key(url, tmp_path):
    """A database from before the check: its first check is written only by a key that decrypts
    its secrets. (The secret is removed after: the module's other tests want none.)"""
    rt = runtime_module.build(keyed(url, tmp_path, KEY_A))
    event_id = unique("evt_")
    try:
        with rt.db.write() as session:
            account, _ = accounts.create_account(session, "Before the check", "USD")
            session.add(Event(id=event_id, account_id=account.id, type="order.completed", data="{}",
                              secret_data_enc=rt.secrets.encrypt('{"password": "x"}'), created_at=clock.now()))
        assert_names_the_setting_and_remedy(refusal(url, tmp_path, KEY_B), KEY_A, KEY_B)
        assert stored_check(url) is None
        start(url, tmp_path, KEY_A)
        assert SecretBox([KEY_A]).decrypt(stored_check(url).token) == CHECK_TEXT
    finally:
        with rt.db.write() as session:
            session.execute(sa.delete(Event).where(Event.id == event_id))
        rt.close()


def test_concurrent_first_starts_store_one_check(url, tmp_path):
    """Four processes with four keys start at the same moment on a new database: one check, its
    writer starts, the three others are refused."""
    keys = [f"concurrent-key-{i}-that-is-long-enough-0123456789" for i in range(4)]
    outcomes = _at_once(url, [(tmp_path / f"p{i}", key) for i, key in enumerate(keys)])
    started = [key for key, outcome in zip(keys, outcomes) if outcome == "started"]
    assert len(started) == 1 and sorted(outcomes) == ["refused"] * 3 + ["started"], outcomes
    assert SecretBox(started).decrypt(stored_check(url).token) == CHECK_TEXT


def test_concurrent_first_starts_without_a_key_in_two_data_directories_leave_one_key_file(url, tmp_path):
    """The one refused removes the key file it had generated: it would stick and be wrong."""
    data_dirs = [tmp_path / "p0", tmp_path / "p1"]
    outcomes = _at_once(url, [(data_dir, "") for data_dir in data_dirs])
    assert sorted(outcomes) == ["refused", "started"], outcomes
    assert [(d / KEY_FILE_NAME).exists() for d in data_dirs] == [outcome == "started" for outcome in outcomes]


def test_concurrent_first_starts_without_a_key_in_one_data_directory_share_one_key_file(url, tmp_path):
    assert _at_once(url, [(tmp_path, "")] * 3) == ["started"] * 3
    key = (tmp_path / KEY_FILE_NAME).read_text().strip()
    assert SecretBox([key]).decrypt(stored_check(url).token) == CHECK_TEXT
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE_NAME]  # no draft left behind


def _at_once(url: str, processes: list[tuple[Path, str]]) -> list[str]:
    """Opens the secrets of each (data directory, key) in a thread of its own, all released
    together, each on a database connection of its own, as processes would."""
    barrier = threading.Barrier(len(processes))
    outcomes = [""] * len(processes)

    def run(i: int, data_dir: Path, key: str) -> None:
        db = Database(url)
        try:
            barrier.wait()
            open_secret_box(db, keyed(url, data_dir, key))
            outcomes[i] = "started"
        except KeyMismatch:
            outcomes[i] = "refused"
        finally:
            db.dispose()

    threads = [threading.Thread(target=run, args=(i, *p)) for i, p in enumerate(processes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.slow
def test_a_worker_with_another_key_exits_with_the_message(url, tmp_path):
    start(url, tmp_path / "api", KEY_A)
    done = Cli(mailwright_env(url, tmp_path / "worker", secret_key=KEY_B))("worker", timeout=60)
    assert (done.returncode, done.stdout) == (2, "")
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    assert_names_the_setting_and_remedy(lines[0].removeprefix("Error: "), KEY_A, KEY_B)


@pytest.mark.backend_independent
def test_every_secret_column_is_sampled_before_a_first_check():
    names = {f"{column.table.name}.{column.name}" for column in encrypted_columns()}
    assert {"mailboxes.password_enc", "mailboxes.totp_secret_enc", "events.secret_data_enc",
            "webhook_endpoints.secret_enc", "export_platforms.api_key_enc", "domains.dkim_private_key_enc"} <= names
