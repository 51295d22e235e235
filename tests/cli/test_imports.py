"""What a command loads: each imports only what it uses (src/mailwright/cli.py), so that every
`mailwright` process, and the tests' hundreds of them, start in a fraction of the time `serve` does."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import Cli

pytestmark = pytest.mark.backend_independent

# The real command, run by its entry point, then the names of every module it loaded (on stderr).
PROBE = """
import json, sys
from mailwright.cli import main
sys.argv[0] = "mailwright"
try:
    main()
finally:
    print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""
# The web app, the workflow engine, migrations, the providers' adapters and their libraries.
SERVING = (
    "alembic", "dbos", "dns", "fastapi", "httpx", "jinja2", "PIL", "starlette", "uvicorn",
    "mailwright.api", "mailwright.app", "mailwright.providers.sandbox.service", "mailwright.providers.registry",
)
DATABASE = ("sqlalchemy", "pydantic_settings", "mailwright.config", "mailwright.db", "mailwright.runtime")


def finished(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    stdout, stderr = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def loaded(done: subprocess.CompletedProcess[str], prefixes: tuple[str, ...]) -> list[str]:
    modules = json.loads(done.stderr.splitlines()[-1])
    return sorted({prefix for prefix in prefixes for name in modules if name == prefix or name.startswith(prefix + ".")})


def test_help_loads_no_database_and_a_database_command_nothing_of_serve(cli: Cli):
    started = [
        subprocess.Popen([sys.executable, "-c", PROBE, *args], env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for args in (["--help"], ["accounts", "list", "--json"])
    ]
    shown, listed = (finished(process) for process in started)
    assert (shown.returncode, listed.returncode) == (0, 0), shown.stderr + listed.stderr
    assert "Usage: mailwright" in shown.stdout
    assert loaded(shown, SERVING + DATABASE) == []
    assert "accounts" in json.loads(listed.stdout)
    assert loaded(listed, SERVING) == []
    assert loaded(listed, DATABASE) == sorted(DATABASE)  # it did read the database


# What `serve` imports before it answers (its command's imports): nothing that only some requests
# or some providers need. Each of these took a noticeable share of every start. The workflow
# engine runs in the worker's process; the API's loads it with its first order (to enqueue it).
SERVE_IMPORTS = "import mailwright.api.server, mailwright.app, mailwright.cli, mailwright.config, mailwright.provisioning.supervisor, mailwright.runtime"
NOT_BEFORE_USE = ("PIL", "httpx", "httpcore", "dbos")


def test_serve_loads_no_library_that_only_some_requests_use(cli: Cli):
    probe = f"import json, sys\n{SERVE_IMPORTS}\nprint(json.dumps(sorted(sys.modules)), file=sys.stderr)"
    done = finished(subprocess.Popen([sys.executable, "-c", probe], env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    assert done.returncode == 0, done.stderr
    assert "mailwright.mailboxes.pictures" in json.loads(done.stderr.splitlines()[-1])  # what would load them is there
    assert loaded(done, NOT_BEFORE_USE) == []
