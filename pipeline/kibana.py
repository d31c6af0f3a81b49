"""Kibana saved objects for Veille's dashboards: read the ndjson files in ``dashboards/``, check them
offline, and import them with Kibana's saved objects API.

Kibana cannot run everywhere Veille is developed, so the checks catch what would otherwise only show up
as a broken panel: a reference to an object that is not shipped, a duplicated id, a chart on a field the
index does not have (or cannot aggregate), a visualisation whose accessors name no column.
"""

from __future__ import annotations

import graphlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pipeline.settings import PROJECT_ROOT, Settings
from pipeline.sinks.elasticsearch import MENTION_PROPERTIES
from pipeline.sinks.mappings_extra import ALERT_PROPERTIES, TREND_PROPERTIES

DASHBOARDS_DIR = PROJECT_ROOT / "dashboards"

# Data view title → the mapping of the indices it matches.
INDEX_MAPPINGS: dict[str, Mapping[str, Any]] = {
    "veille-mentions*": MENTION_PROPERTIES,
    "veille-alerts*": ALERT_PROPERTIES,
    "veille-trends*": TREND_PROPERTIES,
}

DATA_VIEW = "index-pattern"
LENS_LAYER_REFERENCE = "indexpattern-datasource-layer-"
SEARCH_INDEX_REFERENCE = "kibanaSavedObjectMeta.searchSourceJSON.index"
RECORDS_FIELD = "___records___"  # Lens' pseudo-field for "count of documents"
DASHBOARD_COLUMNS = 48

_NUMERIC = {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long"}
_KIBANA_TYPE = {"keyword": "string", "text": "string", "date": "date", "boolean": "boolean", "ip": "ip",
                **{t: "number" for t in _NUMERIC}}
# Lens operation → the Kibana field types it accepts (None: any aggregatable field).
_OPERATION_FIELD_TYPES: dict[str, set[str] | None] = {
    "date_histogram": {"date"},
    "terms": None,
    "unique_count": None,
    "last_value": None,
    "count": None,
    "range": {"number"},
    **{op: {"number"} for op in ("sum", "average", "min", "max", "median", "percentile", "percentile_rank",
                                 "standard_deviation")},
}


class SavedObjectFileError(ValueError):
    """An ndjson file that Kibana would reject before looking at its objects; the message names the line."""


@dataclass(frozen=True)
class SavedObject:
    type: str
    id: str
    attributes: dict[str, Any]
    references: list[dict[str, Any]]
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line} {self.type} {self.id}"


# --- reading -------------------------------------------------------------------------------------------


def parse_ndjson(text: str, file: str = "<ndjson>") -> list[SavedObject]:
    """The saved objects of one export file; the export summary line Kibana appends is skipped."""
    objects = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SavedObjectFileError(f"{file}:{number}: not valid JSON: {exc.msg}") from None
        if not isinstance(raw, dict):
            raise SavedObjectFileError(f"{file}:{number}: expected a JSON object, got {type(raw).__name__}")
        if "exportedCount" in raw:
            continue
        for key, kind in (("type", str), ("id", str), ("attributes", dict)):
            if not isinstance(raw.get(key), kind) or (kind is str and not raw[key]):
                raise SavedObjectFileError(f"{file}:{number}: missing or invalid {key!r}")
        references = raw.get("references", [])
        if not isinstance(references, list) or not all(
            isinstance(r, dict) and all(isinstance(r.get(k), str) and r[k] for k in ("name", "type", "id"))
            for r in references
        ):
            raise SavedObjectFileError(f"{file}:{number}: references must be a list of {{name, type, id}}")
        objects.append(SavedObject(raw["type"], raw["id"], raw["attributes"], references, file, number))
    return objects


def load_ndjson(path: Path) -> list[SavedObject]:
    return parse_ndjson(path.read_text(encoding="utf-8"), path.name)


def ndjson_files(directory: Path = DASHBOARDS_DIR) -> list[Path]:
    return sorted(directory.glob("*.ndjson"))


def load_directory(directory: Path = DASHBOARDS_DIR) -> dict[Path, list[SavedObject]]:
    return {path: load_ndjson(path) for path in ndjson_files(directory)}


def import_order(files: Mapping[Path, list[SavedObject]]) -> list[Path]:
    """The files in an order where each one's references are defined in itself or in an earlier file,
    since Kibana rejects an object whose references it cannot find yet."""
    defined_in = {(o.type, o.id): path for path, objects in files.items() for o in objects}
    graph: dict[Path, set[Path]] = {path: set() for path in files}
    for path, objects in files.items():
        for obj in objects:
            for ref in obj.references:
                source = defined_in.get((ref["type"], ref["id"]))
                if source is not None and source != path:
                    graph[path].add(source)
    sorter = graphlib.TopologicalSorter({path: sorted(deps) for path, deps in sorted(graph.items())})
    return list(sorter.static_order())


# --- mappings ------------------------------------------------------------------------------------------


def field_types(properties: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Every searchable field path of a mapping (sub-objects and multi-fields included) → its ES type."""
    types: dict[str, str] = {}
    for name, spec in properties.items():
        path = f"{prefix}{name}"
        if "properties" in spec:
            types.update(field_types(spec["properties"], f"{path}."))
            continue
        types[path] = spec.get("type", "object")
        for sub, sub_spec in spec.get("fields", {}).items():
            types[f"{path}.{sub}"] = sub_spec.get("type", "object")
    return types


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_KQL_FIELD = re.compile(r"(?<![\w.*@-])([A-Za-z_@][\w.@-]*)\s*(?::|<=|>=|<|>)")


def kql_fields(query: str) -> set[str]:
    """Field names a KQL query filters on (``field : value``, ``field >= n``); quoted values are ignored."""
    return set(_KQL_FIELD.findall(_QUOTED.sub('""', query)))


def filter_fields(filters: Iterable[Mapping[str, Any]]) -> set[str]:
    """Field names used by Kibana filter pills (phrase, phrases, range, exists)."""
    names: set[str] = set()
    for pill in filters:
        meta = pill.get("meta", {})
        if isinstance(meta.get("key"), str):
            names.add(meta["key"])
        query = pill.get("query", pill)
        for clause in ("match_phrase", "match", "range", "term", "terms"):
            if isinstance(query.get(clause), dict):
                names.update(query[clause])
        if isinstance(query.get("exists"), dict) and "field" in query["exists"]:
            names.add(query["exists"]["field"])
    return names


# --- checks --------------------------------------------------------------------------------------------


def check_unique_ids(objects: Iterable[SavedObject]) -> list[str]:
    seen: dict[str, SavedObject] = {}
    problems = []
    for obj in objects:
        if obj.id in seen:
            problems.append(f"{obj.where}: id already used by {seen[obj.id].where}")
        else:
            seen[obj.id] = obj
    return problems


def _json_attribute(obj: SavedObject, path: tuple[str, ...], problems: list[str]) -> Any:
    value: Any = obj.attributes
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if value is None:
        return None
    try:
        return json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError as exc:
        problems.append(f"{obj.where}: {'.'.join(path)} is not valid JSON: {exc.msg}")
        return None


def dashboard_panels(obj: SavedObject) -> list[dict[str, Any]]:
    panels = json.loads(obj.attributes.get("panelsJSON") or "[]")
    return panels if isinstance(panels, list) else []


def panel_reference(panel: Mapping[str, Any], references: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The reference a by-reference dashboard panel points at: ``<panelIndex>:<panelRefName>`` (Kibana ≥ 7.13
    exports) or the bare ``<panelRefName>`` (older exports, still read by Kibana 8)."""
    name = panel.get("panelRefName")
    by_name = {r["name"]: r for r in references}
    return by_name.get(f"{panel.get('panelIndex')}:{name}") or by_name.get(name)


def check_references(objects: list[SavedObject]) -> list[str]:
    """Every reference resolves to a shipped object; every Lens layer, dashboard panel and saved search
    names the reference it needs."""
    known = {(o.type, o.id) for o in objects}
    problems = []
    for obj in objects:
        names = [r["name"] for r in obj.references]
        for duplicate in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"{obj.where}: reference name {duplicate!r} is used twice")
        for ref in obj.references:
            if (ref["type"], ref["id"]) not in known:
                problems.append(f"{obj.where}: reference {ref['name']!r} → {ref['type']} {ref['id']} is not in the files")
        if obj.type == "lens":
            for layer_id in _lens_layers(obj):
                if LENS_LAYER_REFERENCE + layer_id not in names:
                    problems.append(f"{obj.where}: layer {layer_id!r} has no {LENS_LAYER_REFERENCE}{layer_id} reference")
        elif obj.type == "dashboard":
            problems.extend(_check_dashboard_panels(obj))
        elif obj.type == "search":
            source = _json_attribute(obj, ("kibanaSavedObjectMeta", "searchSourceJSON"), problems) or {}
            if source.get("indexRefName") not in names:
                problems.append(f"{obj.where}: searchSourceJSON.indexRefName {source.get('indexRefName')!r} "
                                f"is not one of its references")
    return problems


def _check_dashboard_panels(obj: SavedObject) -> list[str]:
    problems: list[str] = []
    panels = _json_attribute(obj, ("panelsJSON",), problems)
    if not isinstance(panels, list):
        return problems or [f"{obj.where}: panelsJSON is not a list"]
    indices = [p.get("panelIndex") for p in panels]
    for duplicate in sorted({str(i) for i in indices if indices.count(i) > 1}):
        problems.append(f"{obj.where}: panelIndex {duplicate!r} is used twice")
    for panel in panels:
        label = f"{obj.where}: panel {panel.get('panelIndex')!r}"
        if not panel.get("panelRefName"):
            problems.append(f"{label} has no panelRefName (panels are saved objects, not by-value)")
            continue
        ref = panel_reference(panel, obj.references)
        if ref is None:
            problems.append(f"{label}: panelRefName {panel['panelRefName']!r} matches no reference")
        elif panel.get("type") not in (None, ref["type"]):
            problems.append(f"{label} is a {panel['type']} but its reference is a {ref['type']}")
        grid = panel.get("gridData", {})
        if not (0 <= grid.get("x", -1) and 0 < grid.get("w", 0) and grid["x"] + grid["w"] <= DASHBOARD_COLUMNS):
            problems.append(f"{label}: gridData {grid} does not fit the {DASHBOARD_COLUMNS}-column grid")
    return problems


def _lens_layers(obj: SavedObject) -> dict[str, dict[str, Any]]:
    sources = obj.attributes.get("state", {}).get("datasourceStates", {})
    return (sources.get("formBased") or sources.get("indexpattern") or {}).get("layers", {})


def _visualization_accessors(visualization: Mapping[str, Any]) -> dict[str, set[str]]:
    """Layer id → the column ids a Lens visualisation (XY, pie, table, metric) reads."""
    layers = visualization.get("layers")
    if not isinstance(layers, list):
        layers = [visualization]
    found: dict[str, set[str]] = {}
    for layer in layers:
        if layer.get("layerType") == "annotations":  # annotation layers read no datasource columns
            continue
        ids = found.setdefault(layer.get("layerId", ""), set())
        for key in ("xAccessor", "splitAccessor", "metricAccessor", "secondaryMetricAccessor", "breakdownByAccessor"):
            if isinstance(layer.get(key), str):
                ids.add(layer[key])
        for key in ("accessors", "primaryGroups", "secondaryGroups", "metrics"):
            ids.update(a for a in layer.get(key, []) if isinstance(a, str))
        ids.update(c["columnId"] for c in layer.get("columns", []) if isinstance(c, dict) and "columnId" in c)
        sorting = layer.get("sorting")
        if isinstance(sorting, dict) and sorting.get("columnId"):
            ids.add(sorting["columnId"])
    return found


def check_fields(objects: list[SavedObject], mappings: Mapping[str, Mapping[str, Any]] = INDEX_MAPPINGS) -> list[str]:
    """Every field a data view, Lens column, filter, query or saved search uses exists in the mapping of the
    indices its data view matches, with a type the operation accepts."""
    data_views = {o.id: o for o in objects if o.type == DATA_VIEW}
    problems: list[str] = []

    def fields_of(data_view_id: str, where: str) -> dict[str, str] | None:
        view = data_views.get(data_view_id)
        if view is None:
            return None  # reported by check_references
        title = view.attributes.get("title")
        if title not in mappings:
            problems.append(f"{where}: no mapping is known for data view {title!r}")
            return None
        return field_types(mappings[title])

    def require(where: str, name: str, types: dict[str, str], accepted: set[str] | None = None, aggregatable=False):
        if name not in types:
            problems.append(f"{where}: field {name!r} is not in the index mapping")
            return
        kind = _KIBANA_TYPE.get(types[name], types[name])
        if accepted is not None and kind not in accepted:
            problems.append(f"{where}: field {name!r} is a {types[name]}, expected {' or '.join(sorted(accepted))}")
        elif aggregatable and types[name] == "text":
            problems.append(f"{where}: field {name!r} is text, which Kibana cannot aggregate")

    for obj in objects:
        if obj.type == DATA_VIEW:
            types = fields_of(obj.id, obj.where)
            if types is not None and obj.attributes.get("timeFieldName"):
                require(obj.where, obj.attributes["timeFieldName"], types, {"date"})
        elif obj.type == "lens":
            problems.extend(_check_lens(obj, fields_of, require))
        elif obj.type == "search":
            source = _json_attribute(obj, ("kibanaSavedObjectMeta", "searchSourceJSON"), problems) or {}
            ref = next((r for r in obj.references if r["name"] == source.get("indexRefName")), None)
            types = fields_of(ref["id"], obj.where) if ref else None
            if types is None:
                continue
            for name in obj.attributes.get("columns", []):
                require(f"{obj.where} column", name, types)
            for name, _direction in obj.attributes.get("sort", []):
                require(f"{obj.where} sort", name, types, aggregatable=True)
            _require_query_fields(require, obj.where, source.get("query", {}), source.get("filter", []), types)
    return problems


def _require_query_fields(require, where: str, query: Mapping[str, Any], filters: list, types) -> None:
    """The fields that a saved object's KQL query and its filters name must be in ``types``."""
    if query.get("language") == "kuery":
        for name in kql_fields(query.get("query", "")):
            require(f"{where} query", name, types)
    for name in filter_fields(filters):
        require(f"{where} filter", name, types)


def _check_lens(obj: SavedObject, fields_of, require) -> list[str]:
    problems = []
    state = obj.attributes.get("state", {})
    layers = _lens_layers(obj)
    if not layers:
        problems.append(f"{obj.where}: no formBased layers")
    layer_types = {}
    for layer_id, layer in layers.items():
        ref = next((r for r in obj.references if r["name"] == LENS_LAYER_REFERENCE + layer_id), None)
        types = fields_of(ref["id"], obj.where) if ref else None
        if types is None:
            continue
        layer_types[layer_id] = types
        columns = layer.get("columns", {})
        if sorted(layer.get("columnOrder", [])) != sorted(columns):
            problems.append(f"{obj.where}: layer {layer_id!r} columnOrder does not list exactly its columns")
        for column_id, column in columns.items():
            where = f"{obj.where} column {column_id!r}"
            operation = column.get("operationType")
            source = column.get("sourceField")
            if operation not in _OPERATION_FIELD_TYPES:
                problems.append(f"{where}: operation {operation!r} is not one Veille's checks know")
            elif source and not (operation == "count" and source == RECORDS_FIELD):
                require(where, source, types, _OPERATION_FIELD_TYPES[operation], aggregatable=True)
                if source in types and operation not in ("count", "unique_count"):
                    expected = _KIBANA_TYPE.get(types[source])
                    if column.get("dataType") not in (None, expected):
                        problems.append(f"{where}: dataType {column.get('dataType')!r} but {source!r} is {expected}")
            elif operation != "count":
                problems.append(f"{where}: {operation} needs a sourceField")
            order_by = column.get("params", {}).get("orderBy", {})
            if order_by.get("type") == "column" and order_by.get("columnId") not in columns:
                problems.append(f"{where}: orders by column {order_by.get('columnId')!r}, which is not in the layer")
            column_filter = column.get("filter") or {}
            if column_filter.get("language") == "kuery":
                for name in kql_fields(column_filter.get("query", "")):
                    require(f"{where} filter", name, types)
    for layer_id, accessors in _visualization_accessors(state.get("visualization", {})).items():
        columns = layers.get(layer_id, {}).get("columns", {})
        if layer_id not in layers:
            problems.append(f"{obj.where}: visualisation layer {layer_id!r} is not a datasource layer")
        for missing in sorted(accessors - set(columns)):
            problems.append(f"{obj.where}: visualisation reads column {missing!r}, which layer {layer_id!r} does not have")
    for types in layer_types.values():
        _require_query_fields(require, obj.where, state.get("query", {}), state.get("filters", []), types)
    return problems


def check_saved_objects(objects: list[SavedObject],
                        mappings: Mapping[str, Mapping[str, Any]] = INDEX_MAPPINGS) -> list[str]:
    """Every problem found in a set of saved objects that will be imported together; empty when sound."""
    return [*check_unique_ids(objects), *check_references(objects), *check_fields(objects, mappings)]


# --- import --------------------------------------------------------------------------------------------


def kibana_client(base_url: str, settings: Settings, timeout: float = 60.0) -> httpx.Client:
    headers = {"kbn-xsrf": "true"}
    auth = None
    if settings.kibana.api_key:
        headers["Authorization"] = f"ApiKey {settings.kibana.api_key.get_secret_value()}"
    elif settings.kibana.username:
        password = settings.kibana.password.get_secret_value() if settings.kibana.password else ""
        auth = (settings.kibana.username, password)
    return httpx.Client(base_url=base_url.rstrip("/"), headers=headers, auth=auth, timeout=timeout,
                        verify=str(settings.kibana.ca_file) if settings.kibana.ca_file else True)


def import_path(space: str | None = None) -> str:
    prefix = f"/s/{space}" if space and space != "default" else ""
    return f"{prefix}/api/saved_objects/_import"


@dataclass
class ImportResult:
    file: str
    success: bool
    success_count: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def summarise_import(file: str, status_code: int, body: str) -> ImportResult:
    """What Kibana's ``_import`` answer says about one file, errors in one line each."""
    try:
        answer = json.loads(body) if body else {}
    except json.JSONDecodeError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    if status_code != 200:
        message = answer.get("message") or body.strip()[:300] or "no body"
        hint = " (check VEILLE_KIBANA_USERNAME/PASSWORD or VEILLE_KIBANA_API_KEY)" if status_code in (401, 403) else ""
        return ImportResult(file, False, errors=[f"HTTP {status_code}: {message}{hint}"])
    errors = [_describe_import_error(e) for e in answer.get("errors") or []]
    warnings = [str(w.get("message", w)) for w in answer.get("warnings") or [] if isinstance(w, dict)]
    success = bool(answer.get("success")) and not errors
    return ImportResult(file, success, int(answer.get("successCount") or 0), errors, warnings)


def _describe_import_error(error: Mapping[str, Any]) -> str:
    detail = error.get("error") or {}
    kind = detail.get("type", "unknown")
    what = f"{error.get('type')} {error.get('id')}"
    title = error.get("meta", {}).get("title") or error.get("title")
    if title:
        what += f" ({title})"
    if kind == "missing_references":
        missing = ", ".join(f"{r.get('type')} {r.get('id')}" for r in detail.get("references", []))
        return f"{what}: missing references: {missing}"
    reason = detail.get("message") or detail.get("reason") or ""
    return f"{what}: {kind}{': ' + reason if reason else ''}"


def import_file(client: httpx.Client, path: Path, space: str | None = None, overwrite: bool = True) -> ImportResult:
    """POST one ndjson file to Kibana's saved objects import (multipart, as the UI does)."""
    response = client.post(
        import_path(space),
        params={"overwrite": "true" if overwrite else "false"},
        files={"file": (path.name, path.read_bytes(), "application/ndjson")},
    )
    return summarise_import(path.name, response.status_code, response.text)
