"""The shell examples of a Markdown doc, and whether a run's output still matches what the doc
shows (tests/test_doc_examples.py).

An example is a `kiosk …` or `curl …` command in a ```sh block (lines ending in `\\` continue
it). What the doc shows as its output:
- `# …` lines right after the command in the same block (docs/cli.md);
- else, for the block's last command, the ```json (or plain ```) block that follows before the
  next heading or ```sh block, or an inline `` `{…}` `` on a line in between (docs/api.md).
Markers in the line(s) just before a block:
- `<!-- not-run: reason -->`: the block is not run (blocks, needs hardware or PostgreSQL);
- `<!-- exit: N -->`: its commands exit N on purpose (e.g. the doctor's FAULT, 16).

Matching, after normalising ids, times, tokens and ticket numbers on both sides:
- JSON the doc shows must be a subset of the output's JSON: every key shown is there with an
  equal value; `…` inside a string matches anything there, `{…}` any value, `, …]` more items;
  a list shown matches when each item shown matches some item of the output's list;
- a text line must appear in the output (in order), `…` matching anything.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMMAND = re.compile(r"^(?:[A-Z_]+=\S+\s+)*(?:kiosk|curl)\s|^printf .*\|\s*kiosk\s"
                     r"|^[A-Z_]+=\$\(")  # the last: a value a later command of the block uses
NOT_RUN = re.compile(r"<!--\s*not-run:\s*(.+?)\s*-->")
EXIT = re.compile(r"<!--\s*exit:\s*(\d+)\s*-->")
ELLIPSIS = ("…", "...")


@dataclass
class Example:
    doc: str
    block: int  # 1-based line of the block's fence: a block's commands run in one shell
    line: int  # 1-based line of the command in the doc
    command: str
    expected: list[str] = field(default_factory=list)  # text lines (without "# ")
    expected_json: str | None = None  # a JSON block shown after the sh block
    not_run: str | None = None
    exit_code: int = 0

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


def _marker(lines: list[str], start: int) -> tuple[str | None, int]:
    """Markers on the non-blank lines just above the fence at `start`."""
    not_run, code, i = None, 0, start - 1
    while i >= 0 and lines[i].strip().startswith("<!--"):
        if m := NOT_RUN.search(lines[i]):
            not_run = m.group(1)
        if m := EXIT.search(lines[i]):
            code = int(m.group(1))
        i -= 1
    return not_run, code


def _following_output(lines: list[str], end: int) -> str | None:
    """The JSON the doc shows after the sh block ending at line `end` (the closing fence)."""
    for i in range(end + 1, len(lines)):
        text = lines[i]
        if text.startswith("#") or text.startswith("```sh"):
            return None
        if text.startswith("```"):
            block = []
            for j in range(i + 1, len(lines)):
                if lines[j].startswith("```"):
                    return "\n".join(block)
                block.append(lines[j])
            return None
        if m := re.search(r"`(\{.*\})`", text):
            return m.group(1)
    return None


def parse(path: Path) -> list[Example]:
    lines = path.read_text(encoding="utf-8").splitlines()
    examples: list[Example] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("```sh"):
            i += 1
            continue
        not_run, code = _marker(lines, i)
        block_start, i = i, i + 1
        in_block: list[Example] = []
        while i < len(lines) and not lines[i].startswith("```"):
            text = lines[i]
            if COMMAND.match(text):
                number, command = i + 1, text
                while i + 1 < len(lines) and (command.endswith("\\")
                                              or command.count("'") % 2):
                    i += 1
                    if command.endswith("\\"):
                        command = command[:-1] + " " + lines[i].strip()
                    else:  # inside a quoted argument spread over lines
                        command += "\n" + lines[i]
                in_block.append(Example(path.name, block_start + 1, number, command,
                                        not_run=not_run, exit_code=code))
            elif text.startswith("#") and in_block:
                in_block[-1].expected.append(text[1:].strip())
            i += 1
        if in_block and not in_block[-1].expected:
            in_block[-1].expected_json = _following_output(lines, i)
        assert in_block or not_run, f"{path.name}:{block_start + 1}: a sh block with no command"
        examples += in_block
        i += 1
    return examples


# --- normalising ---------------------------------------------------------------------------
NORMALISERS = [
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<id>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"),
     "<time>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "<date>"),
    (re.compile(r"\bSQ\d{8}[0-9A-Z]{10}\b"), "<application>"),
    (re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b"), "<code>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<hex>"),
    (re.compile(r"\b[A-Za-z0-9_-]{40,}\b"), "<token>"),
    (re.compile(r"\bcfg-\d+-[0-9a-f]{16}\b"), "<etag>"),
    (re.compile(r"\b([A-Z])\d{3,4}\b"), r"\1<n>"),  # ticket numbers: A001 → A<n>
    # the doctor's counts follow the date (a WARNING for next year's unknown holidays in
    # December) and the machine (disk); the summary's status is what the example shows
    (re.compile(r"\d+ ok, \d+ warnings?, \d+ faults?"), "<counts>"),
    (re.compile(r"\b[0-9a-f]{8}-…"), "<id>"),  # "aa91962e-…": an id the doc shortened
    (re.compile(r"\b[0-9a-f]{4}…"), "<id>…"),  # "5c0e…" too
]


SAMPLE_URLS = ("https://hall.example:8470",)  # the docs' other name for the demo server


def normalise(text: str, server_url: str = "", aliases: dict[str, str] | None = None) -> str:
    """`aliases`: what the run has (a temporary folder) → what the doc shows (`/tmp/`)."""
    for url in (server_url, *SAMPLE_URLS):
        if url:
            text = text.replace(url, "http://127.0.0.1:8470")
    for real, shown in (aliases or {}).items():
        text = text.replace(real, shown)
    for pattern, repl in NORMALISERS:
        text = pattern.sub(repl, text)
    return text


# --- matching ------------------------------------------------------------------------------
ANY = "\x00any"


def loose_json(text: str) -> Any:
    """The doc's JSON with its elisions made JSON: `{…}`/`[ …text… ]` any value, `, …]` more."""
    any_value = json.dumps(ANY)
    text = re.sub(r"\{\s*(?:…|\.\.\.)[^{}\[\]\"]*\}", lambda _: any_value, text)
    text = re.sub(r"\[\s*…[^\[\]]*…\s*\]", lambda _: any_value, text)
    text = re.sub(r",\s*(?:…|\.\.\.)\s*(?=[\]}])", "", text)
    return json.loads(text)


def _string_matches(shown: str, actual: Any) -> bool:
    if not isinstance(actual, str):
        return shown == json.dumps(actual)
    if not any(e in shown for e in ELLIPSIS):
        return shown == actual
    parts = re.split(r"…|\.\.\.", shown)
    return re.fullmatch(".*?".join(re.escape(p) for p in parts), actual, re.S) is not None


def json_mismatch(shown: Any, actual: Any, where: str = "$",
                  volatile: frozenset[str] = frozenset()) -> str | None:
    """None when `shown` is a subset of `actual`; else where and how they differ."""
    if shown == ANY:
        return None
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return f"{where}: the doc shows an object, the output has {json.dumps(actual)[:80]}"
        for key, value in shown.items():
            if key in ELLIPSIS:
                continue
            if key not in actual:
                return f"{where}.{key}: in the doc, not in the output"
            if key in volatile:
                continue
            if problem := json_mismatch(value, actual[key], f"{where}.{key}", volatile):
                return problem
        return None
    if isinstance(shown, list):
        if not isinstance(actual, list):
            return f"{where}: the doc shows a list, the output has {json.dumps(actual)[:80]}"
        for n, item in enumerate(shown):
            if not any(json_mismatch(item, a, where, volatile) is None for a in actual):
                first = json_mismatch(item, actual[0], f"{where}[{n}]", volatile) if actual \
                    else "the output's list is empty"
                return f"{where}[{n}]: no item of the output matches ({first})"
        return None
    if isinstance(shown, str):
        if _string_matches(shown, actual):
            return None
        return f"{where}: the doc shows {shown!r}, the output has {actual!r}"
    if shown != actual:
        return f"{where}: the doc shows {shown!r}, the output has {actual!r}"
    return None


def _json_lines(output: str) -> list[Any]:
    docs = []
    for line in output.splitlines():
        line = line.strip()
        if line.startswith(("{", "[")):
            with contextlib.suppress(ValueError):
                docs.append(json.loads(line))
    if not docs:
        with contextlib.suppress(ValueError):
            docs.append(json.loads(output))
    return docs


def mismatch(example: Example, output: str, server_url: str,
             volatile: frozenset[str] = frozenset(),
             aliases: dict[str, str] | None = None) -> str | None:
    """None when the output still matches what the doc shows; else what differs."""
    output = normalise(output, server_url, aliases)
    out = normalise(output)
    shown_json = [example.expected_json] if example.expected_json else []
    text_lines = []
    for line in example.expected:
        (shown_json if line.startswith("{") else text_lines).append(line)
    actual_docs = [json.loads(normalise(json.dumps(d, ensure_ascii=False)))
                   for d in _json_lines(output)]
    for shown_text in shown_json:
        shown = loose_json(normalise(shown_text))
        if not actual_docs:
            return f"the doc shows JSON, the output is not JSON: {output[:300]!r}"
        problems = [json_mismatch(shown, doc, volatile=volatile) for doc in actual_docs]
        if all(problems):
            return problems[0]
    position = 0
    for line in text_lines:
        parts = re.split(r"…|\.\.\.", normalise(line))
        pattern = ".*?".join(re.escape(p) for p in parts)
        pattern = re.sub(r"(\\ )+", r"\\s+", pattern)  # column padding may differ
        found = re.compile(pattern).search(out, position)
        if not found:
            return f"the doc shows {line!r}; the output is:\n{out[:1500]}"
        position = found.end()
    return None
