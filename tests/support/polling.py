"""How often the tests' workers look for work. Tests wait on real workflows, so queues are
polled every 0.15 s, not faster: each of the ~9 queues costs a few queries per poll, and at 0.05 s
that polling alone took half of the suite's CPU time (measured: tests/reseller used 215 s of CPU
at 0.05 s, 115 s at 0.15 s). The queue of the mailbox provider no test's flow depends on is
looked at every half second (a sampling profile of tests/api and tests/reseller put the queues'
polling at 40% of the test process's busy time; MAILDOSO and MICROSOFT are ordered by too many
tests to wait longer on)."""

from __future__ import annotations

import json

POLL_SECONDS = 0.15
SELDOM_USED = ("MAILFORGE",)
# MAILWRIGHT_QUEUE_LIMITS of the tests: a role named here keeps its default limits (8 in flight).
QUEUE_LIMITS = json.dumps({provider: {"concurrency": 8, "poll_seconds": 0.5} for provider in SELDOM_USED})
