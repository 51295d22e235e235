"""How often the tests' workers look for work. Tests wait on real workflows, so the order
workflows' queue is polled every 0.15 s, not faster: each look costs a few queries, and at
0.05 s the polling of the nine queues there were then took half of the suite's CPU time. Calls to
providers wait on nothing (they hold slots: provisioning/slots.py); 0.15 s is also how often a
call that finds its provider's slots taken looks again."""

from __future__ import annotations

POLL_SECONDS = 0.15
# MAILWRIGHT_QUEUE_LIMITS of the tests: every role keeps its default limits.
QUEUE_LIMITS = "{}"
