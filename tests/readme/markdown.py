"""README.md read as a newcomer reads it: its shell code blocks, each cut into the commands a
terminal would run one by one, each with the comment that documents its output."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

SHELL_LANGUAGES = {"sh", "bash", "console", "shell"}
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<language>[\w+-]*)\s*$")
# Written on the line before a block that the tests must not run, with the reason.
NOT_RUN = re.compile(r"^\s*<!--\s*not run:(?P<reason>.*?)-->\s*$")
# A comment that shows output: JSON (possibly after an HTTP status), or one quoted text.
JSON_OUTPUT = re.compile(r"^(\d{3}\s+)?[{\[]")
QUOTED_OUTPUT = re.compile(r'^"[^"]+"$')


@dataclass
class Command:
    text: str  # what bash runs: comments dropped, continued lines kept
    line: int  # its first line in the Markdown file
    comment: str = ""  # the comment on its last line
    below: list[str] = field(default_factory=list)  # comment lines right under it

    @property
    def documented_output(self) -> str:
        """The comment that shows what the command prints ("" when its comments are prose)."""
        for text in (self.comment, " ".join(self.below)):
            if JSON_OUTPUT.match(text) or QUOTED_OUTPUT.match(text):
                return text
        return ""


@dataclass
class Block:
    line: int  # of the opening fence
    language: str
    text: str
    not_run: str | None  # the reason, when marked not to be run

    def commands(self) -> list[Command]:
        return split_commands(self.text, self.line + 1)


def shell_blocks(markdown: str) -> list[Block]:
    blocks = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        opened = FENCE.match(lines[i])
        if not opened:
            i += 1
            continue
        indent, start = opened["indent"], i
        i += 1
        body = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        if opened["language"] in SHELL_LANGUAGES:
            before = next((line for line in reversed(lines[:start]) if line.strip()), "")
            marked = NOT_RUN.match(before)
            blocks.append(Block(start + 1, opened["language"], "\n".join(body), marked["reason"].strip() if marked else None))
    return blocks


def split_commands(text: str, first_line: int) -> list[Command]:
    """As bash reads it: a line ends a command unless a quote is open or it ends with `\\`;
    `#` starting a word outside quotes begins a comment. Comment lines right under a command
    (no blank line between) belong to it."""
    commands: list[Command] = []
    pending: list[str] = []
    start = 0
    quote: str | None = None
    last: Command | None = None
    for number, line in enumerate(text.splitlines(), first_line):
        if not pending:
            stripped = line.strip()
            if not stripped:
                last = None
                continue
            if stripped.startswith("#"):
                if last is not None:
                    last.below.append(stripped[1:].strip())
                continue
            start = number
        code, comment, quote = _scan(line, quote)
        pending.append(code)
        if quote is None and not code.rstrip().endswith("\\"):
            last = Command("\n".join(pending).strip(), start, comment)
            commands.append(last)
            pending = []
    if pending:
        raise ValueError(f"line {start}: the command does not end (an unclosed quote or a trailing backslash)")
    return commands


def _scan(line: str, quote: str | None) -> tuple[str, str, str | None]:
    """The line's code, its comment, and the quote still open at its end."""
    i = 0
    while i < len(line):
        char = line[i]
        if quote == "'":
            quote = None if char == "'" else quote
        elif char == "\\":
            i += 1  # the next character is escaped (inside double quotes too)
        elif quote == '"':
            quote = None if char == '"' else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t;|&("):
            return line[:i].rstrip(), line[i + 1:].strip(), None
        i += 1
    return line, "", quote


# ------------------------------------------------------------------ output


def json_values(text: str) -> list[Any]:
    """Every JSON object or array printed in the text, in order (curl prints no newline after one)."""
    decoder = json.JSONDecoder()
    values, i = [], 0
    while (i := _next_bracket(text, i)) >= 0:
        try:
            value, end = decoder.raw_decode(text, i)
        except ValueError:
            i += 1
            continue
        values.append(value)
        i = end
    return values


def _next_bracket(text: str, start: int) -> int:
    found = [p for p in (text.find("{", start), text.find("[", start)) if p >= 0]
    return min(found, default=-1)


def members(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (name, value) of every object in the value, breadth first (outer members first)."""
    queue = [value]
    while queue:
        item = queue.pop(0)
        if isinstance(item, dict):
            yield from item.items()
            queue.extend(item.values())
        elif isinstance(item, list):
            queue.extend(item)


def documented_keys(comment: str) -> set[str]:
    """The member names a JSON-looking comment shows, e.g. {"accounts": [{"account_id", "name", ...}]}
    gives accounts, account_id, name: in an object, a string where a name is expected is one,
    followed by `:` or not (a list of names); `...` and other elisions are skipped."""
    names: set[str] = set()
    stack: list[str] = []
    expect_name = False
    for token in re.findall(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]', comment):
        if token in "{[":
            stack.append(token)
            expect_name = token == "{"
        elif token in "}]":
            if stack:
                stack.pop()
            expect_name = False
        elif token == ",":
            expect_name = bool(stack) and stack[-1] == "{"
        elif token == ":":
            expect_name = False
        else:
            if expect_name and re.fullmatch(r'"[A-Za-z_][A-Za-z0-9_]*"', token):
                names.add(token[1:-1])
            expect_name = False
    return names
