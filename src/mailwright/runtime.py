"""One process's wiring: settings, database, secrets, providers and the workflow client.

Workflow steps run outside any request, so they reach these through `current()`.

The providers, the picture decode budget and the workflow client are made on first use: a
command that only reads the database then never loads the adapters (dnspython, httpx ...),
Pillow or the workflow engine."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import mailwright.db.models  # noqa: F401 - every table known to the ORM before the first flush
from mailwright.config import Settings
from mailwright.crypto import KEY_FILE_NAME, SecretBox, load_secret_box
from mailwright.db import Database, migrate
from mailwright.key_check.service import open_secret_box
from mailwright.private_files import private_directory, private_file

if TYPE_CHECKING:
    from dbos import DBOSClient
    from sqlalchemy.orm import Session

    from mailwright.mailboxes.pictures import DecodeBudget
    from mailwright.providers.registry import Providers

APP_NAME = "mailwright"
PROVISIONING_QUEUE = "provisioning"


@dataclass
class Runtime:
    settings: Settings
    db: Database
    secrets: SecretBox
    # Made on first use; a copy (dataclasses.replace) made after that shares them.
    _providers: Providers | None = field(default=None, repr=False)
    _client: DBOSClient | None = field(default=None, repr=False)
    # A copy decodes within a budget of its own, sized by its settings.
    _decode_budget: DecodeBudget | None = field(default=None, init=False, repr=False)
    # Request threads and workflow steps may be first at once: each is made exactly once.
    _making: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def providers(self) -> Providers:
        """The configured adapters, made when first asked for (a real one's at start: see `build`)."""
        if self._providers is None:
            with self._making:
                if self._providers is None:
                    from mailwright.providers.registry import build_providers

                    self._providers = build_providers(self.settings)
        return self._providers

    @providers.setter
    def providers(self, providers: Providers) -> None:
        self._providers = providers

    @property
    def decode_budget(self) -> DecodeBudget:
        """The process's budget for decoding pictures, sized by the settings."""
        if self._decode_budget is None:
            with self._making:
                if self._decode_budget is None:
                    from mailwright.mailboxes.pictures import MIB, DecodeBudget

                    self._decode_budget = DecodeBudget(self.settings.picture_decode_budget_mb * MIB)
        return self._decode_budget

    @property
    def workflow_client(self) -> DBOSClient:
        if self._client is None:
            from dbos import DBOSClient  # here: commands that never enqueue start without the engine

            # lazy: no connection probe, which on SQLite would wait on our own write lock when
            # the first enqueue happens inside a transaction.
            self._client = DBOSClient(system_database_engine=self.db.engine, application_name=APP_NAME, lazy=True)
        return self._client

    def enqueue(
        self,
        session: Session,
        workflow: str,
        workflow_id: str,
        *args: Any,
        queue: str = PROVISIONING_QUEUE,
        partition_key: str | None = None,
    ) -> None:
        """Enqueue a workflow inside `session`'s transaction: it exists if and only if that commits.
        `partition_key` is for partitioned queues (e.g. webhooks: one partition per endpoint)."""
        options: dict[str, Any] = {
            "workflow_name": workflow,
            "queue_name": queue,
            "workflow_id": workflow_id,
            "app_version": self.settings.app_version,
        }
        if partition_key is not None:
            options["queue_partition_key"] = partition_key
        self.workflow_client.enqueue_in_transaction(session.connection(), options, *args)  # type: ignore[arg-type]

    def close(self) -> None:
        if self._client is not None:
            self._client.destroy()
            self._client = None
        if self._providers is not None:
            self._providers.close()
        self.db.dispose()


_current: Runtime | None = None


def build(settings: Settings) -> Runtime:
    """A runtime with the keys as configured, unchecked (tests and tools that set them up)."""
    _secure_data_dir(settings)
    db = Database(settings.resolved_database_url)
    secrets = load_secret_box(settings.secret_key, settings.data_dir)
    return _with_providers(Runtime(settings, db, secrets))


def start(settings: Settings) -> Runtime:
    """The runtime of `serve`, `worker` or a command: its database migrated, and its secret keys
    those of every other process on the database (key_check; a key file is generated only on a
    new database). Raises key_check's KeyMismatch otherwise."""
    _secure_data_dir(settings)
    db = Database(settings.resolved_database_url)
    try:
        migrate.upgrade(db)
        secrets = open_secret_box(db, settings)
        return _with_providers(Runtime(settings, db, secrets))
    except BaseException:
        db.dispose()
        raise


def _secure_data_dir(settings: Settings) -> None:
    if settings.data_dir.exists():  # created owner-only when first needed
        private_directory(settings.data_dir)
        private_file(settings.data_dir / KEY_FILE_NAME)


def _with_providers(runtime: Runtime) -> Runtime:
    if runtime.settings.names_a_real_provider:
        # A real provider's wrong setting stops every command at start (README: Real registrars and
        # DNS hosts); the sandbox has none that could be wrong, so it is made only when used.
        runtime.providers  # noqa: B018
    return runtime


def install(runtime: Runtime | None) -> None:
    global _current
    _current = runtime


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("no Mailwright runtime in this process")
    return _current
