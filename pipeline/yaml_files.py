"""Reading the project's YAML files (watches.yaml, topics.yaml, alerting.yaml) with one clear error each.

Every problem is one line that names the file and what is wrong: it cannot be read, it is not UTF-8
(which line), it is not YAML (where, then what), it is nested too deeply, or it holds a value that YAML
types but Python cannot hold (year 0, an int of 5,000 digits). The caller says which error class to raise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def one_line(message: str, limit: int = 500) -> str:
    """An error message fit for one terminal line: line breaks escaped, a huge value in the file cut."""
    message = message.replace("\r", "\\r").replace("\n", "\\n")
    return message if len(message) <= limit else f"{message[:limit]}… ({len(message):,} characters)"


def yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's several-line message as one line: where, then what."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = ", ".join(p for p in (getattr(exc, "context", None), getattr(exc, "problem", None)) if p) or str(exc)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return one_line(f"{where}{problem}")


def decode_utf8(data: bytes) -> str:
    """``data`` as text; a byte that is not UTF-8 is a ValueError naming its line (a BOM is allowed)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ValueError(f"line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8") from None


def parse_yaml(text: str, where: str, error: type[Exception] = ValueError) -> Any:
    """The data of YAML ``text`` read from ``where``; ``error`` with one line naming ``where`` otherwise."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(one_line(f"{where}: not valid YAML: {yaml_problem(exc)}")) from None
    except RecursionError:
        raise error(f"{one_line(where)}: not usable YAML: nested too deeply") from None
    except ValueError as exc:  # a value YAML types but Python cannot hold: year 0, an int of 5,000 digits
        raise error(one_line(f"{where}: not usable YAML: {exc}")) from None


def read_yaml(path: Path, error: type[Exception] = ValueError, hint: str = "") -> Any:
    """The data of the YAML file at ``path``; ``error`` with one line naming the file otherwise. ``hint``
    follows the reason when the file cannot be read at all (which setting names it, say)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise error(one_line(f"cannot read {path}: {exc.strerror or exc}{hint}")) from None
    try:
        text = decode_utf8(data)
    except ValueError as exc:
        raise error(one_line(f"{path}: {exc}")) from None
    return parse_yaml(text, str(path), error)
