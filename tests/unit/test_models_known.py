"""Every process that builds a runtime knows every table: a flush that follows a foreign key to
a model no import brought in (reseller_users from a `worker`) fails at run time otherwise."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import mailwright.runtime
from mailwright.db.base import Base
known = set(Base.metadata.tables)
import mailwright.db.models
print(sorted(set(Base.metadata.tables) - known))
"""


def test_the_runtime_brings_in_every_model():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
