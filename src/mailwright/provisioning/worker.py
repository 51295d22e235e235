"""Starting and stopping the workflow engine inside a process (serve, worker, tests)."""

from __future__ import annotations

from dbos import DBOS

from mailwright.runtime import APP_NAME, PROVISIONING_QUEUE, Runtime
from mailwright.webhooks.service import WEBHOOKS_QUEUE


def launch(runtime: Runtime, *, executor_id: str = "local") -> None:
    """Start executing workflows in this process. Call outside any running event loop."""
    from mailwright.provisioning import workflows  # noqa: F401 - registers the workflows
    from mailwright.webhooks import delivery  # noqa: F401 - registers the webhook workflow
    from mailwright.billing import workflows as billing_workflows  # registers the billing workflows

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
        }
    )
    DBOS.launch()
    DBOS.register_queue(PROVISIONING_QUEUE, polling_interval_sec=settings.queue_poll_seconds, on_conflict="always_update")
    # One partition per webhook endpoint, one workflow at a time in each: deliveries stay in order.
    DBOS.register_queue(
        WEBHOOKS_QUEUE, partition_concurrency=1, polling_interval_sec=settings.queue_poll_seconds, on_conflict="always_update"
    )
    billing_workflows.install_schedule(runtime)


def shutdown() -> None:
    DBOS.destroy(workflow_completion_timeout_sec=5)
