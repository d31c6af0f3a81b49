"""Recorded HTTP exchanges (vcrpy YAML and betamax JSON cassettes) and bare API responses as JSON
documents, and the loop every normaliser of such recordings starts with."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import orjson

from pipeline.mention import Platform
from pipeline.sources.decoding import Document, decode_text, parse_json_documents
from pipeline.sources.results import Collector, NormalizeResult, PayloadError, Reject, excerpt, run


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




def normalize_recording(platform: Platform, payload: bytes, fetched_at: datetime | None,
                        each_document: Callable[[Collector, Document], None], *,
                        keep_non_json: bool = False) -> NormalizeResult:
    """Hand every JSON document of a recording (see :func:`load_recording`) to ``each_document`` with
    one collector, after the recording's own rejects (a line that is not JSON, an HTTP error)."""

    def body(collector: Collector) -> None:
        documents, rejects = load_recording(payload, keep_non_json=keep_non_json)
        collector.add_rejects(rejects)
        for document in documents:
            each_document(collector, document)

    return run(platform, payload, fetched_at, body)
