"""Text and values as sources send them: HTML to plain text, timestamps, counts, ids."""

from __future__ import annotations

import email.utils
import hashlib
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

MAX_HTML_CHARS = 1_000_000  # more than enough for MAX_TEXT_CHARS of text; bounds the work on hostile input

_BLOCK_TAGS = frozenset(
    "address article aside blockquote dd details div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section summary table tbody thead tfoot tr ul".split()
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_NEWLINES = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n" if tag in ("p", "blockquote", "pre") else "\n")
            if tag == "pre":
                self.pre += 1
            if tag == "li":
                self.parts.append("- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "hr":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS and tag != "li":
            self.parts.append("\n\n" if tag in ("p", "blockquote", "pre") else "\n")
            if tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            self.parts.append(data.replace("\n", "\x00"))  # keep preformatted line breaks through the squeeze
        else:
            self.parts.append(data.replace("\n", " "))


def html_to_text(html: str | None) -> str:
    """Readable plain text from an HTML fragment: paragraphs and ``<br>`` become line breaks, tags and
    scripts go, entities are decoded, runs of spaces collapse."""
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return _squeeze(html)
    html = html[:MAX_HTML_CHARS]
    last_open = html.rfind("<")
    if last_open > html.rfind(">"):  # a tag cut off at the end would come out as text
        html = html[:last_open]
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # HTMLParser can give up on hostile markup
        pass
    return _squeeze("".join(parser.parts).replace("\x00", "\n"))


def _squeeze(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def plain(value: Any) -> str:
    """A text field that should be plain but may carry stray whitespace."""
    return _squeeze(value) if isinstance(value, str) else ""


def join_text(*parts: str | None) -> str:
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def parse_time(value: Any) -> datetime | None:
    """A timestamp as APIs send it: ISO 8601 (``Z``, ``+0000``), RFC 2822, or Unix seconds/milliseconds."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)):
            seconds = float(value)
            if seconds > 1e14:  # microseconds
                seconds /= 1e6
            elif seconds > 1e11:  # milliseconds
                seconds /= 1e3
            return datetime.fromtimestamp(seconds, tz=UTC)
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            if re.fullmatch(r"\d+(\.\d+)?", text):
                return parse_time(float(text))
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                parsed = email.utils.parsedate_to_datetime(text)
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError, TypeError, IndexError):
        return None
    return None


def as_int(value: Any) -> int:
    """A non-negative count, 0 when absent or unreadable (a metric never costs a mention)."""
    if isinstance(value, bool):
        return int(value)
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return max(number, 0)


def as_str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def stable_hash(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8", "replace")).hexdigest()[:32]

