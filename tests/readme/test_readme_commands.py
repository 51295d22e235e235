"""Every command in README.md's shell blocks (sh, bash, console) runs, in the README's order, as a
newcomer would run them in one terminal, against a real `mailwright serve` on a fresh data
directory. A wrong port, a missing file, a stale field or a failing command fails this test.

What stays faithful, and the few things that differ:
- The commands run as written, in one bash (so a variable set by one is seen by the next), in a
  fresh directory laid out like the checkout: the repository's files and folders linked in, and
  `./mw` a one-line wrapper that execs the repository's own launcher. So `./mw ...` is the real
  launcher with the real .venv, and its default data directory, ./mailwright-data, is new.
- `serve` is started by the test (the venv's `mailwright serve`, which is what `./mw serve` runs)
  on a free port: `127.0.0.1:8080` and `localhost:8080` in commands become that port. Its
  sandbox DNS port is one this test holds, as when a second `serve` runs on another database: the
  README must use the port `serve` prints. Its workers keep the default pace (NEWCOMER_PACE).
- `serve` resolves example.com as the internet does, also where there is no DNS (CI): see
  public_dns/sitecustomize.py.
- curl runs with `--fail-with-body` added (a shim first on PATH), so an HTTP error fails the
  command like any other non-zero exit; dig must get an authoritative NOERROR answer.

Conventions in the README's blocks:
- Values a reader copies from earlier output are set on a line of their own,
  `NAME=<placeholder>  # where it comes from`: KEY and DNS_PORT from what `serve` printed at start
  (its demo account's API key; "Sandbox DNS answers on 127.0.0.1 port N"); any other NAME, whose
  placeholder contains `...`, from the JSON member its comment names in backticks (e.g.
  "# the `order_id` answered above"), found in the newest earlier output that has it. No command
  that runs may keep a `...` placeholder.
- A comment that shows output (JSON, possibly after a status: `# {"order_id": "06H...", ...}`, or
  one quoted text: `# "v=DMARC1; p=none"`), on the command's line or right under it, is checked:
  every member name it shows is in the output's JSON; a quoted text is in the output.
- `./mw serve ...` and `./mw test ...` only make sense on a developer's machine (and the suite
  runs through `./mw test` anyway): serve's options must be ones `./mw serve --help` lists, test's
  prerequisites check (scripts/test-prerequisites) must pass and the paths given to it must
  exist, and the settings set before either must exist and be valid. Every MAILWRIGHT_* variable a command sets must exist: a setting
  (mailwright.config.Settings, checked with its value) or one the launcher or tests read.
- A block the tests cannot run says why, on the line before it: `<!-- not run: REASON -->`.
"""

from __future__ import annotations

import os
import re
import select
import shlex
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mailwright.config import Settings
from tests.readme.markdown import Block, Command, documented_keys, json_values, members, shell_blocks
from tests.support.serve import ServeProcess, serve_env

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PUBLIC_DNS = Path(__file__).parent / "public_dns"
DOCUMENTED_HOSTS = ("127.0.0.1:8080", "localhost:8080")
COMMAND_TIMEOUT = 240  # a command polling until provisioning is done, on a loaded machine
# Copied from what `serve` printed at start.
FROM_SERVE = {
    "KEY": re.compile(r"Its API key, shown only this once: (\S+)"),
    "DNS_PORT": re.compile(r"Sandbox DNS answers on 127\.0\.0\.1 port (\d+)"),
}
PLACEHOLDER = re.compile(r"^(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>\S*)$")
MEMBER_NAMED = re.compile(r"`(\w+)`")
DEVELOPER_COMMAND = ("serve", "test")
NOT_LINKED = {".git", ".venv", "mw", "mailwright-data", ".pytest_cache"}
# Its workers look for work and retry steps at the settings' defaults, as a newcomer's serve does,
# not at the other tests' quick pace: it idles through most of the test while commands start, and
# quick polling cost more CPU than all but the commands themselves.
NEWCOMER_PACE = {name: str(Settings.model_fields[name].default) for name in ("queue_poll_seconds", "step_retry_seconds")}


@dataclass
class Ran:
    command: Command
    status: int
    stdout: str
    stderr: str

    def failure(self, why: str) -> str:
        return (
            f"README.md line {self.command.line}: {why}\n$ {self.command.text}\n"
            f"exit status {self.status}\n--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"
        )


@dataclass
class Terminal:
    """One bash, fed one command at a time. Each command's output goes to files; a marker line
    on bash's own output says it ended, with its exit status."""

    cwd: Path
    env: dict[str, str]
    outputs: Path
    count: int = 0
    process: subprocess.Popen[str] | None = field(default=None, repr=False)
    MARK = "__readme_command_ended__"

    def __post_init__(self) -> None:
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"], cwd=self.cwd, env=self.env, text=True, bufsize=1,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def run(self, command: Command, text: str) -> Ran:
        assert self.process is not None and self.process.stdin is not None and self.process.stdout is not None
        self.count += 1
        out, err = self.outputs / f"{self.count}.out", self.outputs / f"{self.count}.err"
        self.process.stdin.write(f"{{\n{text}\n}} >{out} 2>{err} </dev/null\nprintf '\\n{self.MARK} %s\\n' \"$?\"\n")
        self.process.stdin.flush()
        said = ""
        while not (ended := re.search(rf"{self.MARK} (\d+)\n", said)):
            ready, _, _ = select.select([self.process.stdout], [], [], COMMAND_TIMEOUT)
            if not ready:
                self.close()
                raise AssertionError(f"README.md line {command.line}: no end within {COMMAND_TIMEOUT} s\n$ {text}")
            chunk = os.read(self.process.stdout.fileno(), 65536).decode(errors="replace")
            if not chunk:
                raise AssertionError(f"README.md line {command.line}: the shell exited\n$ {text}\n{said}")
            said += chunk
        complaints = said[: ended.start()].strip()  # bash's own words: a syntax error ...
        return Ran(command, int(ended[1]), out.read_text(errors="replace"), err.read_text(errors="replace") + complaints)

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=10)


@pytest.fixture
def held_dns_port() -> Iterator[int]:
    """A port taken (UDP and TCP) for the time of the test, as another `serve` would hold it."""
    udp, tcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socket()
    for _ in range(20):
        udp.bind(("127.0.0.1", 0))
        try:
            tcp.bind(("127.0.0.1", udp.getsockname()[1]))
            break
        except OSError:
            udp.close()
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tcp.listen()
    yield udp.getsockname()[1]
    udp.close()
    tcp.close()


def checkout_like(tmp_path: Path) -> Path:
    """A directory laid out like the checkout, but with its own ./mailwright-data."""
    work = tmp_path / "checkout"
    work.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in NOT_LINKED:
            (work / entry.name).symlink_to(entry)
    launcher = work / "mw"
    launcher.write_text(f'#!/usr/bin/env bash\nexec {shlex.quote(str(ROOT / "mw"))} "$@"\n')
    launcher.chmod(0o755)
    return work


def strict_curl(tmp_path: Path) -> Path:
    shims = tmp_path / "shims"
    shims.mkdir()
    curl = shutil.which("curl")
    assert curl, "curl is installed by ./mw test (scripts/test-prerequisites)"
    (shims / "curl").write_text(f'#!/bin/sh\nexec {shlex.quote(curl)} --fail-with-body "$@"\n')
    (shims / "curl").chmod(0o755)
    return shims


def test_every_command_of_the_readme_runs(tmp_path: Path, held_dns_port: int) -> None:
    blocks = shell_blocks(README.read_text())
    assert len(blocks) > 10, "the README's shell blocks were not found"
    for block in blocks:
        assert block.not_run is None or block.not_run, f"README.md line {block.line}: `not run:` needs a reason"

    work = checkout_like(tmp_path)
    env = serve_env(None, None, sandbox_dns_port=str(held_dns_port), **NEWCOMER_PACE)
    env["PATH"] = f"{strict_curl(tmp_path)}:{env['PATH']}"
    env["PYTHONPATH"] = str(PUBLIC_DNS)  # example.com resolves without DNS; see its sitecustomize
    serve = ServeProcess(env, work).start()
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    terminal = Terminal(work, env, outputs)
    runner = Runner(terminal, serve, work)
    try:
        serve.wait_ready()
        for block in blocks:
            if block.not_run is None:
                runner.run_block(block)
    finally:
        terminal.close()
        serve.stop()
    # Nothing skipped silently: every command of every block not marked was run or checked.
    assert runner.handled == sum(len(block.commands()) for block in blocks if block.not_run is None)


@dataclass
class Runner:
    terminal: Terminal
    serve: ServeProcess
    work: Path
    outputs: list[str] = field(default_factory=list)  # newest last
    handled: int = 0
    checked: dict[str, str] = field(default_factory=dict)  # developer command -> its check's output

    def run_block(self, block: Block) -> None:
        for command in block.commands():
            self.handled += 1
            assignments, words = _leading_assignments(command.text)
            self.check_variables(command, assignments)
            if words[:1] == ["./mw"] and words[1:2] and words[1] in DEVELOPER_COMMAND:
                self.check_developer_command(command, words[1], words[2:])
                continue
            placeholder = PLACEHOLDER.match(command.text)
            if placeholder and (placeholder["name"] in FROM_SERVE or "..." in placeholder["value"]):
                value = self.copied_value(command, placeholder["name"])
                self.execute(command, f"{placeholder['name']}={shlex.quote(value)}")
                continue
            text = command.text
            for host in DOCUMENTED_HOSTS:
                text = text.replace(host, f"127.0.0.1:{self.serve.port}")
            assert "..." not in text, (
                f"README.md line {command.line}: a placeholder `...` is left in a command that runs; set it first "
                f"with NAME=... and a comment naming the JSON member it comes from\n$ {command.text}"
            )
            ran = self.execute(command, text)
            self.check_output(ran, words)

    def execute(self, command: Command, text: str) -> Ran:
        ran = self.terminal.run(command, text)
        assert ran.status == 0, ran.failure("the command failed")
        self.outputs.append(ran.stdout)
        return ran

    def copied_value(self, command: Command, name: str) -> str:
        if name in FROM_SERVE:
            found = FROM_SERVE[name].search(self.serve.text)
            assert found, f"README.md line {command.line}: serve did not print {name}:\n{self.serve.text}"
            return found.group(1)
        named = MEMBER_NAMED.search(command.comment)
        assert named, f"README.md line {command.line}: say in the comment which member {name} is copied from, in backticks"
        for output in reversed(self.outputs):
            for value in json_values(output):
                for member, found in members(value):
                    if member == named[1] and isinstance(found, (str, int)):
                        return str(found)
        raise AssertionError(f"README.md line {command.line}: no earlier output has a member {named[1]!r}")

    def check_output(self, ran: Ran, words: list[str]) -> None:
        shown = ran.command.documented_output
        if shown.startswith('"'):
            assert shown in ran.stdout, ran.failure(f"the output lacks {shown}, which the README shows")
        elif shown:
            keys = documented_keys(shown)
            printed = {name for value in json_values(ran.stdout) for name, _ in members(value)}
            assert keys <= printed, ran.failure(f"the output lacks {sorted(keys - printed)}, which the README shows")
        if words[:1] == ["dig"]:
            assert "status: NOERROR" in ran.stdout and re.search(r"flags:[^;]*\baa\b", ran.stdout), ran.failure(
                "dig got no authoritative answer (REFUSED: not this serve's DNS port?)"
            )

    def check_developer_command(self, command: Command, name: str, arguments: list[str]) -> None:
        """`./mw serve` and `./mw test` as written would take over the terminal (the suite runs
        through `./mw test` anyway): serve's options must be ones its --help lists; test's
        prerequisites check must pass and the paths it is given must exist."""
        if name not in self.checked:
            check = [str(self.work / "mw"), "serve", "--help"] if name == "serve" else [str(ROOT / "scripts" / "test-prerequisites")]
            done = subprocess.run(check, cwd=self.work, env=self.terminal.env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
            assert done.returncode == 0, f"README.md line {command.line}: {' '.join(check)} failed:\n{done.stdout}\n{done.stderr}"
            self.checked[name] = done.stdout
        for argument in arguments:
            option = argument.split("=", 1)[0]
            if name == "serve" and option.startswith("--"):
                assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", self.checked[name]), (
                    f"README.md line {command.line}: ./mw serve has no option {option}"
                )
            if name == "test" and not option.startswith("-") and "/" in option:
                assert (ROOT / option.split("::")[0]).exists(), f"README.md line {command.line}: no {option} in the repository"

    def check_variables(self, command: Command, assignments: dict[str, str]) -> None:
        fields = {f"MAILWRIGHT_{name.upper()}": name for name in Settings.model_fields}
        settings = {}
        for name, value in assignments.items():
            if not name.startswith("MAILWRIGHT_"):
                continue
            assert name in fields or name in tooling_text(), f"README.md line {command.line}: nothing reads {name}"
            if name in fields:
                settings[fields[name]] = value
        if settings:
            Settings(**settings)  # raises, naming the setting, when a value is not valid


def _leading_assignments(text: str) -> tuple[dict[str, str], list[str]]:
    """The NAME=value words a command starts with, and the words after them."""
    words = shlex.split(text.replace("\\\n", " "), comments=False)
    assignments = {}
    while words and re.match(r"^[A-Z][A-Z0-9_]*=", words[0]):
        name, value = words.pop(0).split("=", 1)
        assignments[name] = value
    return assignments, words


_tooling: list[str] = []


def tooling_text() -> str:
    """The launcher, the scripts and the test tooling: where variables other than settings are read."""
    if not _tooling:
        files = [ROOT / "mw", *(ROOT / "scripts").iterdir(), *(p for p in (ROOT / "tests").rglob("*.py") if "readme" not in p.parts)]
        _tooling.append("\n".join(p.read_text(errors="replace") for p in files if p.is_file()))
    return _tooling[0]


def test_seed_004s_empty_picture_part_makes_curl_itself_fail() -> None:
    """What the README says next to the reseller's first order: `=@""` names no file, so curl
    stops with error 26 before it sends anything (nothing listens on the port)."""
    done = subprocess.run(
        ["curl", "-s", "--form", 'email1@domain.com=@""', "http://127.0.0.1:9/"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 26
