"""What every source normaliser shares: the result types, payload decoding, HTML to text, timestamps.

A normaliser is a pure function ``bytes -> NormalizeResult``. It never raises on bad input: whatever
cannot become a :class:`~pipeline.mention.Mention` becomes a :class:`Reject` with a one-line reason,
and the other items still come out.
"""

from __future__ import annotations

import codecs
import email.utils
import hashlib
import io
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, Protocol

import orjson
from pydantic import ValidationError

from pipeline.mention import Mention, Platform, describe_validation_error, is_http_url

log = logging.getLogger(__name__)

RAW_EXCERPT_BYTES = 600
MAX_HTML_CHARS = 1_000_000  # more than enough for MAX_TEXT_CHARS of text; bounds the work on hostile input
TRUNCATED_MARK = "__veille_truncated__"


@dataclass(frozen=True, slots=True)
class Reject:
    """One item that did not become a mention. ``item_ref`` is the would-be mention id when known,
    else where the item sat in the payload (``items[3]``). ``deleted`` marks a deletion notice: the
    platform says this item no longer exists, so a live connector should retract it."""

    reason: str
    raw: bytes
    item_ref: str | None = None
    deleted: bool = False


@dataclass(slots=True)
class NormalizeResult:
    mentions: list[Mention] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    @property
    def deletions(self) -> list[str]:
        """Ids (``platform:native_id``) the platform reported as deleted or removed."""
        return [r.item_ref for r in self.rejects if r.deleted and r.item_ref]


class Normalizer(Protocol):
    def __call__(
        self, payload: bytes, *, source_hint: str | None = None, fetched_at: datetime | None = None
    ) -> NormalizeResult: ...


def excerpt(item: Any, limit: int = RAW_EXCERPT_BYTES) -> bytes:
    """A short byte excerpt of ``item`` for a reject: bytes and str as they are, anything else as JSON."""
    if isinstance(item, bytes):
        data = item
    elif isinstance(item, str):
        data = item.encode("utf-8", "replace")
    else:
        try:
            data = orjson.dumps(item, default=str)
        except TypeError:
            data = repr(item).encode("utf-8", "replace")
    return data if len(data) <= limit else data[:limit] + b"..."


class Collector:
    """Accumulates mentions and rejects for one payload. A mention seen twice (a re-fetch, an edit, a
    stream that repeats itself) is kept once, in its last version, at its first position."""

    def __init__(self, platform: Platform, *, fetched_at: datetime | None = None):
        self.platform = platform
        self.fetched_at = fetched_at
        self._mentions: dict[str, Mention] = {}
        self._rejects: list[Reject] = []

    def mention_id(self, native_id: Any) -> str:
        return f"{self.platform.value}:{native_id}"

    def reject(self, reason: str, raw: Any, item_ref: str | None = None, *, deleted: bool = False) -> None:
        self._rejects.append(Reject(reason=reason, raw=excerpt(raw), item_ref=item_ref, deleted=deleted))

    def add_rejects(self, rejects: Iterable[Reject]) -> None:
        self._rejects.extend(rejects)

    def deleted(self, native_id: Any, reason: str, raw: Any) -> None:
        self.reject(reason, raw, self.mention_id(native_id), deleted=True)

    def add(self, raw: Any, *, date_optional: bool = False, **fields: Any) -> Mention | None:
        """Validate one mention from ``fields`` (``native_id`` required); on failure record a reject.

        ``date_optional``: the source may legitimately omit the date (feeds); the fetch time stands in.
        """
        native_id = fields.get("native_id")
        if native_id is None or native_id == "":
            self.reject("missing id", raw)
            return None
        native_id = str(native_id)
        ref = self.mention_id(native_id)
        if fields.get("created_at") is None:
            if not date_optional or self.fetched_at is None:
                self.reject("missing or unreadable creation date", raw, ref)
                return None
            fields["created_at"] = self.fetched_at
        author = fields.get("author")
        if not isinstance(author, dict) or not author.get("id"):
            self.reject("missing author", raw, ref)
            return None
        text = fields.get("text")
        if not isinstance(text, str) or not text.strip():
            self.reject("no text", raw, ref)
            return None
        # Over-long or odd optional values are trimmed or dropped: none is worth losing the mention over.
        url = fields.get("url")
        if url is not None and not (
            isinstance(url, str) and is_http_url(url) and len(url) <= 4096
        ):
            fields["url"] = None
        title = fields.get("title")
        if isinstance(title, str):
            fields["title"] = title.strip()[:2048] or None
        language = fields.get("language")
        fields["language"] = language[:16] if isinstance(language, str) and language else None
        fields["author"] = {
            key: value[:512] if isinstance(value, str) else value for key, value in author.items() if value is not None
        }
        try:
            mention = Mention.model_validate(
                {
                    **fields,
                    "id": ref,
                    "native_id": native_id,
                    "platform": self.platform,
                    "fetched_at": fields.get("fetched_at", self.fetched_at),
                }
            )
        except ValidationError as exc:
            self.reject(describe_validation_error(exc), raw, ref)
            return None
        self._mentions[mention.id] = mention
        return mention

    def result(self) -> NormalizeResult:
        return NormalizeResult(mentions=list(self._mentions.values()), rejects=list(self._rejects))


# --- decoding -------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(payload: bytes) -> str:
    """Bytes to text: honour a BOM, prefer UTF-8, then cp1252 when it reads as Western text, else the
    encoding charset-normalizer guesses."""
    for bom, encoding in _BOMS:
        if payload.startswith(bom):
            return payload.decode(encoding, errors="replace")
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if len(payload) >= 4 and payload[0] and not payload[1] and not payload[3]:
        return payload.decode("utf-16-le", errors="replace")
    if len(payload) >= 4 and not payload[0] and payload[1] and not payload[2]:
        return payload.decode("utf-16-be", errors="replace")
    western = payload.decode("cp1252", errors="replace")
    if _reads_as_western(western):
        return western
    from charset_normalizer import from_bytes

    best = from_bytes(payload[:200_000]).best()
    if best is not None and best.encoding:
        return payload.decode(best.encoding, errors="replace")
    return western


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{3,}")


def _reads_as_western(text: str) -> bool:
    """cp1252 is the usual wrong encoding, and charset detectors misjudge short texts. Accented Latin
    letters come one or two at a time between ASCII ones; a Cyrillic or Greek text read as cp1252 gives
    long runs of accented letters, so little text in such runs means cp1252 is the right reading."""
    non_ascii = sum(1 for c in text if ord(c) > 127)
    if non_ascii == 0:
        return True
    if "\ufffd" in text:
        return False
    in_runs = sum(len(m) for m in _NON_ASCII_RUN.findall(text))
    return in_runs <= 0.2 * non_ascii


class PayloadError(ValueError):
    """The payload as a whole cannot be read (the reason becomes one reject)."""


@dataclass(frozen=True, slots=True)
class Document:
    """One JSON document from a payload. ``ref`` locates it (``line 3``, ``interaction 2``)."""

    data: Any
    ref: str
    context: dict[str, Any] = field(default_factory=dict)


def _rebuild_partial(events: list[tuple[str, Any]]) -> Any:
    """Rebuild a document from the ijson events of a truncated payload; every container left open
    is marked with :data:`TRUNCATED_MARK` so the item walkers can reject it instead of trusting it."""
    stack: list[Any] = []
    keys: list[str | None] = []
    root: Any = None

    def put(value: Any) -> None:
        nonlocal root
        if not stack:
            root = value
        elif isinstance(stack[-1], list):
            stack[-1].append(value)
        else:
            stack[-1][keys[-1]] = value

    for event, value in events:
        if event == "start_map":
            new: Any = {}
            put(new)
            stack.append(new)
            keys.append(None)
        elif event == "start_array":
            new = []
            put(new)
            stack.append(new)
            keys.append(None)
        elif event in ("end_map", "end_array"):
            stack.pop()
            keys.pop()
        elif event == "map_key":
            keys[-1] = value
        else:
            put(value)
    for container in stack:
        if isinstance(container, dict):
            container[TRUNCATED_MARK] = True
    return root


def _salvage_json(text: str) -> Any:
    import ijson

    events: list[tuple[str, Any]] = []
    try:
        for event in ijson.basic_parse(io.BytesIO(text.encode("utf-8")), use_float=True):
            events.append(event)
    except ijson.JSONError:
        pass
    if not events or events[0][0] not in ("start_map", "start_array"):
        return None
    return _rebuild_partial(events)


def parse_json_documents(payload: bytes) -> tuple[list[Document], list[Reject]]:
    """A JSON document, JSON lines, or a truncated JSON document (complete items kept, the cut item
    marked). Raises :class:`PayloadError` when nothing at all can be read."""
    if not payload or not payload.strip():
        raise PayloadError("empty payload")
    text = decode_text(payload)
    stripped = text.strip()
    try:
        return [Document(orjson.loads(stripped), "document")], []
    except orjson.JSONDecodeError as exc:
        whole_error = str(exc)
    lines = [(n, line.strip()) for n, line in enumerate(stripped.splitlines(), 1) if line.strip()]
    if len(lines) > 1:
        documents: list[Document] = []
        rejects: list[Reject] = []
        for n, line in lines:
            try:
                documents.append(Document(orjson.loads(line), f"line {n}"))
            except orjson.JSONDecodeError as exc:
                rejects.append(Reject(f"line {n}: not valid JSON: {exc}", excerpt(line), f"line {n}"))
        if documents and len(documents) * 2 >= len(lines):
            return documents, rejects
    partial = _salvage_json(stripped)
    if partial is None:
        raise PayloadError(f"not valid JSON: {whole_error}")
    return [Document(partial, "document (truncated)")], [
        Reject(
            f"payload is truncated or malformed JSON ({whole_error}); complete items were kept",
            excerpt(stripped[-RAW_EXCERPT_BYTES:]),
            "document",
        )
    ]


def is_truncated(item: Any) -> bool:
    return isinstance(item, dict) and item.get(TRUNCATED_MARK) is True


# --- recorded HTTP exchanges (vcrpy YAML and betamax JSON cassettes) -------------------------------


def _looks_like_yaml_cassette(payload: bytes) -> bool:
    head = payload[:4096].lstrip()
    return head.startswith(b"interactions:") or b"\ninteractions:" in head


def _cassette_body(body: Any) -> bytes | None:
    if isinstance(body, dict):
        if isinstance(body.get("string"), (str, bytes)):
            value = body["string"]
            return value.encode("utf-8") if isinstance(value, str) else value
        if isinstance(body.get("base64_string"), str):
            import base64
            import binascii
            import gzip
            import zlib

            try:
                data = base64.b64decode(body["base64_string"])
                return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
            except (binascii.Error, OSError, EOFError, zlib.error):
                return None
        return None
    if isinstance(body, str):
        return body.encode("utf-8")
    return body if isinstance(body, bytes) else None


def cassette_interactions(data: Any) -> list[dict[str, Any]] | None:
    """The request/response pairs of a vcrpy or betamax cassette, or None if ``data`` is not one."""
    if not isinstance(data, dict):
        return None
    interactions = data.get("interactions", data.get("http_interactions"))
    if not isinstance(interactions, list) or not interactions:
        return None
    if not all(isinstance(i, dict) and "response" in i for i in interactions):
        return None
    return interactions


def iter_cassette_bodies(interactions: list[dict[str, Any]]) -> Iterator[tuple[str, int | None, str, bytes | None]]:
    """(method, status, uri, body) per interaction."""
    for interaction in interactions:
        request = interaction.get("request") or {}
        response = interaction.get("response") or {}
        status = response.get("status")
        code = status.get("code") if isinstance(status, dict) else status
        method = str(request.get("method", "")).upper()
        uri = str(request.get("uri", ""))
        body = response.get("body")
        data = _cassette_body(body)
        encoding = _header(response.get("headers"), "content-encoding")
        if data and encoding and "gzip" in encoding and data[:2] == b"\x1f\x8b":
            import gzip
            import zlib

            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error):
                data = None
        yield method, code if isinstance(code, int) else None, uri, data


def _header(headers: Any, name: str) -> str | None:
    if not isinstance(headers, dict):
        return None
    for key, value in headers.items():
        if str(key).lower() == name:
            if isinstance(value, list):
                value = value[0] if value else None
            return str(value) if value is not None else None
    return None


def load_recording(payload: bytes, *, keep_non_json: bool = False) -> tuple[list[Document], list[Reject]]:
    """JSON documents from a bare API response (JSON or JSON lines) or from a cassette wrapping many.

    Documents that came from a cassette carry ``context`` ``{"method", "status", "uri", "body"}``;
    a body that is not JSON (an event stream, plain text) is a reject, or with ``keep_non_json`` is
    passed on as ``data=None`` with ``context["body"]`` set so the source can parse it its own way.
    """
    if _looks_like_yaml_cassette(payload):
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            data = yaml.load(decode_text(payload), Loader=loader)  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            raise PayloadError(f"not a readable YAML cassette: {str(exc).splitlines()[0]}") from None
        documents = [Document(data, "cassette")]
        rejects: list[Reject] = []
    else:
        documents, rejects = parse_json_documents(payload)
    out: list[Document] = []
    for document in documents:
        interactions = cassette_interactions(document.data)
        if interactions is None:
            out.append(document)
            continue
        for n, (method, status, uri, body) in enumerate(iter_cassette_bodies(interactions)):
            ref = f"interaction {n} ({method} {uri})"
            context = {"method": method, "status": status, "uri": uri, "body": body}
            if status is not None and not 200 <= status < 300:
                rejects.append(Reject(f"HTTP {status} from {method} {uri}", excerpt(body or b""), ref))
                continue
            if not body or not body.strip():
                continue
            try:
                out.append(Document(orjson.loads(body), ref, context))
            except orjson.JSONDecodeError:
                try:
                    inner, inner_rejects = parse_json_documents(body)
                except PayloadError as exc:
                    if keep_non_json:
                        out.append(Document(None, ref, context))
                    else:
                        rejects.append(Reject(f"{ref}: response body is {exc}", excerpt(body), ref))
                    continue
                rejects.extend(inner_rejects)
                out.extend(Document(d.data, f"{ref} {d.ref}", context) for d in inner)
    return out, rejects


def run(
    platform: Platform, payload: bytes, fetched_at: datetime | None, body: Callable[[Collector], None]
) -> NormalizeResult:
    """Run ``body`` with a fresh collector; a payload that cannot be read at all becomes one reject."""
    collector = Collector(platform, fetched_at=fetched_at)
    try:
        body(collector)
    except PayloadError as exc:
        collector.reject(str(exc), payload[:RAW_EXCERPT_BYTES], "payload")
    except RecursionError:
        collector.reject("payload nested too deeply to walk", payload[:RAW_EXCERPT_BYTES], "payload")
    except Exception as exc:  # a shape no normaliser foresaw: keep what was read, reject the rest, never crash
        log.exception("%s normaliser failed on a payload", platform.value)
        collector.reject(f"unexpected payload shape ({type(exc).__name__}: {exc}); items before it were kept",
                         payload[:RAW_EXCERPT_BYTES], "payload")
    return collector.result()


# --- text and values --------------------------------------------------------------------------------

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
