"""Starting and stopping the workflow engine inside a process (serve, worker, tests).

Scale-out and crash safety: every process gets its own DBOS executor id and writes a heartbeat
to `provisioning_workers`. A workflow a process was running when it died stays PENDING under
that executor id; a worker that restarts with the same id resumes it at launch (DBOS), and any
living worker that sees another's heartbeat go silent hands that executor's workflows back to
their queues (DBOS recovery), where the next free worker resumes them from their checkpoints."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import sys
import threading
import uuid
from typing import NoReturn

import sqlalchemy as sa
from dbos import DBOS

from mailwright import clock
from mailwright.provisioning import queues, slots
from mailwright.provisioning.models import WorkerBeat
from mailwright.runtime import APP_NAME, Runtime
from mailwright.webhooks.service import WEBHOOKS_QUEUE

log = logging.getLogger(__name__)
_monitor: _Monitor | None = None


def new_executor_id() -> str:
    return f"{socket.gethostname()[:60]}-{uuid.uuid4().hex[:10]}"


def launch(runtime: Runtime, *, executor_id: str = "local") -> None:
    """Start executing workflows in this process. Call outside any running event loop."""
    from mailwright.provisioning import workflows  # noqa: F401 - registers the workflows
    from mailwright.webhooks import delivery  # noqa: F401 - registers the webhook workflow
    from mailwright.billing import workflows as billing_workflows  # registers the billing workflows
    from mailwright.exports import workflows as export_workflows  # noqa: F401 - registers the export workflows

    global _monitor
    settings = runtime.settings
    DBOS(
        config={
            "name": APP_NAME,
            "system_database_url": runtime.db.url,
            "application_version": settings.app_version,
            "executor_id": executor_id,
            "log_level": "WARNING",
            "run_migrations": False,
            "notification_listener_polling_interval_sec": min(settings.queue_poll_seconds, 1.0),
            # A SQLite file has no connection to lose: checking one at every checkout (DBOS's
            # default) was a tenth of an idle worker's queue polling.
            **({"db_engine_kwargs": {"pool_pre_ping": False}} if settings.is_sqlite else {}),
        }
    )
    limits = queues.limits_of(settings, runtime.providers)
    provider_slots = slots.Slots(runtime.db, executor_id, limits, settings.queue_poll_seconds)
    # Before launch resumes this executor's unfinished workflows: the slots it held before a
    # restart are free, and its steps take new ones as they run again.
    provider_slots.release_executor(executor_id)
    slots.install(provider_slots)
    DBOS.launch()
    queues.register_orders_queue(settings, limits[queues.ORDERS])
    # One partition per webhook endpoint, one workflow at a time in each: deliveries stay in order.
    DBOS.register_queue(
        WEBHOOKS_QUEUE, partition_concurrency=1, polling_interval_sec=settings.queue_poll_seconds, on_conflict="always_update"
    )
    billing_workflows.install_schedule(runtime)
    _monitor = _Monitor(runtime, executor_id)
    _monitor.beat()
    _monitor.start()


def shutdown() -> None:
    global _monitor
    if _monitor is not None:
        _monitor.stop()
        _monitor = None
    DBOS.destroy(workflow_completion_timeout_sec=5)


def exit_process(code: int = 0) -> NoReturn:
    """End a process whose workflow engine was shut down, without joining its executor threads.

    A workflow still in flight waits for its queued children in an executor thread that keeps
    polling for a result nothing will produce any more; joining it would keep the process alive
    forever. Nothing is lost: the workflow is durable and resumes at the next launch."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class _Monitor(threading.Thread):
    """Heartbeat of this executor, and recovery of the executors whose heartbeat stopped."""

    def __init__(self, runtime: Runtime, executor_id: str) -> None:
        super().__init__(name="mailwright-worker-monitor", daemon=True)
        self.runtime = runtime
        self.executor_id = executor_id
        self._stop_event = threading.Event()

    def run(self) -> None:
        interval = self.runtime.settings.worker_heartbeat_seconds
        while not self._stop_event.wait(interval):
            try:
                self.beat()
                self.recover_silent_workers()
            except Exception:  # the database may be briefly unreachable; try again next beat
                log.warning("worker heartbeat failed", exc_info=True)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)

    def beat(self) -> None:
        now = clock.now()
        with self.runtime.db.write() as session:
            row = session.get(WorkerBeat, self.executor_id)
            if row is None:
                session.add(
                    WorkerBeat(
                        executor_id=self.executor_id,
                        hostname=socket.gethostname()[:255],
                        pid=os.getpid(),
                        started_at=now,
                        last_seen_at=now,
                    )
                )
            else:
                row.last_seen_at, row.pid = now, os.getpid()

    def recover_silent_workers(self) -> None:
        """Hand the workflows of silent executors back to the queues, then forget them.

        Safe if several workers do it at once: DBOS re-enqueues only workflows still PENDING
        under the dead executor's id, and a queue hands each to exactly one worker."""
        cutoff = clock.now() - dt.timedelta(seconds=self.runtime.settings.worker_dead_after_seconds)
        with self.runtime.db.read() as session:
            silent = list(
                session.scalars(
                    sa.select(WorkerBeat.executor_id).where(
                        WorkerBeat.last_seen_at < cutoff, WorkerBeat.executor_id != self.executor_id
                    )
                )
            )
        for executor_id in silent:
            # Its calls were cut short: their slots are free, and the steps run again here.
            slots.installed().release_executor(executor_id)
            handles = DBOS._recover_pending_workflows([executor_id])
            log.warning("recovered workflows of a silent worker", extra={"executor_id": executor_id, "workflows": len(handles)})
            with self.runtime.db.write() as session:
                session.execute(
                    sa.delete(WorkerBeat).where(WorkerBeat.executor_id == executor_id, WorkerBeat.last_seen_at < cutoff)
                )
