"""Generate Veille's Kibana 8 saved objects (the ``*.ndjson`` files next to this script).

The ndjson is what ``veille dashboards import`` sends and what Kibana's UI imports; this script is where it
is edited, so that ids, layer ids and column ids stay stable and readable. After a change run

    python dashboards/build.py            # rewrite the ndjson files
    python dashboards/build.py --check    # exit 1 if they are not what this script generates

and commit both. The unit tests run the check and validate every field against the index mappings.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KIBANA_VERSION = "8.15.0"
CORE_MIGRATION = "8.8.0"
# Latest migration of each type the objects are already written in, so Kibana does not migrate them.
TYPE_MIGRATION = {"index-pattern": "8.0.0", "lens": "8.9.0", "search": "8.0.0", "dashboard": "8.9.0"}
LAYER = "layer1"

MENTIONS = "veille-dataview-mentions"
ALERTS = "veille-dataview-alerts"
TRENDS = "veille-dataview-trends"


def saved_object(kind: str, object_id: str, attributes: dict[str, Any], references: list[dict[str, str]]) -> dict:
    return {
        "type": kind,
        "id": object_id,
        "attributes": attributes,
        "references": references,
        "managed": False,
        "coreMigrationVersion": CORE_MIGRATION,
        "typeMigrationVersion": TYPE_MIGRATION[kind],
    }


def data_view(object_id: str, title: str, name: str, time_field: str) -> dict:
    return saved_object("index-pattern", object_id, {
        "title": title,
        "name": name,
        "timeFieldName": time_field,
        "allowNoIndex": True,  # the alerts and trends indices appear only with the first alert or trend
        "fields": "[]",
        "fieldFormatMap": "{}",
        "runtimeFieldMap": "{}",
        "sourceFilters": "[]",
        "typeMeta": "{}",
    }, [])


# --- Lens columns: (column id, column) ---------------------------------------------------------------


def count(column_id: str = "count", label: str = "Mentions", kql: str | None = None) -> tuple[str, dict]:
    column = {"label": label, "customLabel": True, "dataType": "number", "operationType": "count",
              "sourceField": "___records___", "isBucketed": False, "scale": "ratio",
              "params": {"emptyAsNull": False}}
    if kql:
        column["filter"] = {"language": "kuery", "query": kql}
    return column_id, column


def metric(operation: str, field: str, label: str, column_id: str | None = None) -> tuple[str, dict]:
    return column_id or f"{operation}-{field}", {
        "label": label, "customLabel": True, "dataType": "number", "operationType": operation,
        "sourceField": field, "isBucketed": False, "scale": "ratio", "params": {"emptyAsNull": True}}


def over_time(field: str, column_id: str = "time") -> tuple[str, dict]:
    return column_id, {
        "label": field, "dataType": "date", "operationType": "date_histogram", "sourceField": field,
        "isBucketed": True, "scale": "interval",
        "params": {"interval": "auto", "includeEmptyRows": True, "dropPartials": False}}


def top_values(field: str, size: int, order_by: str, label: str, data_type: str = "string",
               other_bucket: bool = True) -> tuple[str, dict]:
    return f"by-{field}", {
        "label": label, "customLabel": True, "dataType": data_type, "operationType": "terms",
        "sourceField": field, "isBucketed": True, "scale": "ordinal",
        "params": {"size": size, "orderBy": {"type": "column", "columnId": order_by}, "orderDirection": "desc",
                   "otherBucket": other_bucket, "missingBucket": False, "parentFormat": {"id": "terms"},
                   "include": [], "exclude": [], "includeIsRegex": False, "excludeIsRegex": False}}


# --- Lens visualisations --------------------------------------------------------------------------------


def xy(series: str, x: str, ys: list[str], split: str | None = None, legend: str = "right") -> dict:
    layer = {"layerId": LAYER, "layerType": "data", "seriesType": series, "xAccessor": x, "accessors": ys,
             "palette": {"type": "palette", "name": "default"}}
    if split:
        layer["splitAccessor"] = split
    return {"preferredSeriesType": series, "legend": {"isVisible": True, "position": legend},
            "valueLabels": "hide", "fittingFunction": "None", "layers": [layer]}


def pie(group: str, value: str, shape: str = "donut") -> dict:
    return {"shape": shape, "layers": [{
        "layerId": LAYER, "layerType": "data", "primaryGroups": [group], "metrics": [value],
        "numberDisplay": "percent", "categoryDisplay": "default", "legendDisplay": "default", "nestedLegend": False}]}


def table(column_ids: list[str], sort_by: str, direction: str = "desc") -> dict:
    return {"layerId": LAYER, "layerType": "data",
            "columns": [{"columnId": c, "isTransposed": False} for c in column_ids],
            "sorting": {"columnId": sort_by, "direction": direction}}


def big_number(value: str) -> dict:
    return {"layerId": LAYER, "layerType": "data", "metricAccessor": value}


def lens(object_id: str, title: str, description: str, view: str, kind: str, columns: list[tuple[str, dict]],
         visualization: dict, kql: str = "") -> dict:
    layer = {"columnOrder": [c for c, _ in columns], "columns": dict(columns), "incompleteColumns": {}}
    return saved_object("lens", object_id, {
        "title": title,
        "description": description,
        "visualizationType": kind,
        "state": {
            "datasourceStates": {"formBased": {"layers": {LAYER: layer}}},
            "visualization": visualization,
            "query": {"language": "kuery", "query": kql},
            "filters": [],
            "internalReferences": [],
            "adHocDataViews": {},
        },
    }, [{"type": "index-pattern", "id": view, "name": f"indexpattern-datasource-layer-{LAYER}"}])


def saved_search(object_id: str, title: str, description: str, view: str, columns: list[str],
                 sort: list[list[str]], kql: str) -> dict:
    source = {"query": {"language": "kuery", "query": kql}, "filter": [],
              "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"}
    return saved_object("search", object_id, {
        "title": title, "description": description, "columns": columns, "sort": sort, "grid": {},
        "hideChart": True, "isTextBasedQuery": False,
        "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source)},
    }, [{"type": "index-pattern", "id": view, "name": "kibanaSavedObjectMeta.searchSourceJSON.index"}])


def dashboard(object_id: str, title: str, description: str, panels: list[tuple[dict, int, int, int, int]],
              time_from: str = "now-7d") -> dict:
    """``panels``: (saved object, x, y, w, h) on Kibana's 48-column grid."""
    panels_json, references = [], []
    for number, (obj, x, y, w, h) in enumerate(panels, start=1):
        index = str(number)
        panels_json.append({"version": KIBANA_VERSION, "type": obj["type"], "panelIndex": index,
                            "gridData": {"x": x, "y": y, "w": w, "h": h, "i": index},
                            "embeddableConfig": {"enhancements": {}}, "panelRefName": f"panel_{index}"})
        references.append({"type": obj["type"], "id": obj["id"], "name": f"{index}:panel_{index}"})
    return saved_object("dashboard", object_id, {
        "title": title,
        "description": description,
        "panelsJSON": json.dumps(panels_json),
        "optionsJSON": json.dumps({"useMargins": True, "syncColors": True, "syncCursor": True,
                                   "syncTooltips": False, "hidePanelTitles": False}),
        "timeRestore": True,
        "timeFrom": time_from,
        "timeTo": "now",
        "refreshInterval": {"pause": False, "value": 60000},
        "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps({"query": {"language": "kuery", "query": ""},
                                                                   "filter": []})},
    }, references)


# --- the objects -----------------------------------------------------------------------------------------


def data_views() -> list[dict]:
    return [
        data_view(MENTIONS, "veille-mentions*", "Veille mentions", "created_at"),
        data_view(ALERTS, "veille-alerts*", "Veille alerts", "opened_at"),
        data_view(TRENDS, "veille-trends*", "Veille trends", "window_start"),
    ]


def overview() -> list[dict]:
    total = lens("veille-lens-mentions-total", "Mentions", "Mentions in the time range.", MENTIONS, "lnsMetric",
                 [count()], big_number("count"))
    reach_total = lens("veille-lens-reach-total", "Reach", "Sum of the authors' followers over the mentions.",
                       MENTIONS, "lnsMetric", [metric("sum", "author.followers", "Reach")],
                       big_number("sum-author.followers"))
    volume = lens("veille-lens-volume-over-time", "Volume over time", "Mentions per interval.", MENTIONS, "lnsXY",
                  [over_time("created_at"), count()], xy("bar_stacked", "time", ["count"]))
    sentiment = lens("veille-lens-sentiment-over-time", "Sentiment over time",
                     "Mentions per interval, by detected sentiment.", MENTIONS, "lnsXY",
                     [over_time("created_at"), top_values("sentiment", 3, "count", "Sentiment"), count()],
                     xy("bar_stacked", "time", ["count"], "by-sentiment"))
    categories = lens("veille-lens-categories", "Categories", "Mentions per category (a mention can have several).",
                      MENTIONS, "lnsXY", [top_values("categories", 9, "count", "Category", other_bucket=False), count()],
                      xy("bar_horizontal", "by-categories", ["count"], legend="bottom"))
    platforms = lens("veille-lens-platforms", "Platforms", "Share of mentions per platform.", MENTIONS, "lnsPie",
                     [top_values("platform", 14, "count", "Platform"), count()], pie("by-platform", "count"))
    languages = lens("veille-lens-languages", "Languages", "Share of mentions per detected language.", MENTIONS,
                     "lnsPie", [top_values("lang", 10, "count", "Language"), count()], pie("by-lang", "count"))
    reach = lens("veille-lens-reach-over-time", "Reach over time", "Sum of the authors' followers per interval.",
                 MENTIONS, "lnsXY", [over_time("created_at"), metric("sum", "author.followers", "Reach")],
                 xy("line", "time", ["sum-author.followers"]))
    interactions = lens("veille-lens-interactions-over-time", "Interactions over time",
                        "Likes, shares and replies the mentions received, per interval.", MENTIONS, "lnsXY",
                        [over_time("created_at"), metric("sum", "metrics.likes", "Likes"),
                         metric("sum", "metrics.shares", "Shares"), metric("sum", "metrics.replies", "Replies")],
                        xy("bar_stacked", "time", ["sum-metrics.likes", "sum-metrics.shares", "sum-metrics.replies"]))
    board = dashboard("veille-dashboard-overview", "Veille · Overview",
                      "Volume, sentiment, categories, platforms, languages, reach and interactions.", [
                          (total, 0, 0, 12, 8), (reach_total, 12, 0, 12, 8), (platforms, 24, 0, 12, 8),
                          (languages, 36, 0, 12, 8),
                          (volume, 0, 8, 24, 12), (sentiment, 24, 8, 24, 12),
                          (categories, 0, 20, 16, 14), (reach, 16, 20, 16, 14), (interactions, 32, 20, 16, 14),
                      ])
    return [total, reach_total, volume, sentiment, categories, platforms, languages, reach, interactions, board]


def crisis() -> list[dict]:
    alerts = lens("veille-lens-alerts-table", "Alerts", "Alerts by severity, state and watch, highest score first.",
                  ALERTS, "lnsDatatable",
                  [top_values("severity", 5, "max-score", "Severity"), top_values("state", 3, "max-score", "State"),
                   top_values("watch", 20, "max-score", "Watch"), top_values("title.keyword", 50, "max-score", "Alert"),
                   metric("max", "score", "Score", "max-score"), count(label="Alerts")],
                  table(["by-severity", "by-state", "by-watch", "by-title.keyword", "max-score", "count"], "max-score"))
    by_severity = lens("veille-lens-alerts-by-severity", "Alerts by severity and state",
                       "How many alerts of each severity are open, acknowledged or resolved.", ALERTS, "lnsXY",
                       [top_values("severity", 5, "count", "Severity"), top_values("state", 3, "count", "State"),
                        count(label="Alerts")],
                       xy("bar_stacked", "by-severity", ["count"], "by-state"))
    verdicts = lens("veille-lens-alert-verdicts", "Organic or troll raid", "Alerts per verdict.", ALERTS, "lnsPie",
                    [top_values("verdict", 2, "count", "Verdict", other_bucket=False), count(label="Alerts")],
                    pie("by-verdict", "count"))
    negative = lens("veille-lens-negative-by-watch", "Negative mentions per watch",
                    "Mentions tagged negative, per interval and watch.", MENTIONS, "lnsXY",
                    [over_time("created_at"), top_values("watch", 10, "negative", "Watch"),
                     count("negative", "Negative mentions", 'sentiment : "negative"')],
                    xy("line", "time", ["negative"], "by-watch"))
    complaints = lens("veille-lens-complaints-by-watch", "Complaints per watch",
                      "Mentions tagged complaint, per interval and watch.", MENTIONS, "lnsXY",
                      [over_time("created_at"), top_values("watch", 10, "complaints", "Watch"),
                       count("complaints", "Complaints", 'categories : "complaint"')],
                      xy("line", "time", ["complaints"], "by-watch"))
    board = dashboard("veille-dashboard-crisis", "Veille · Crisis",
                      "Open alerts and the negative and complaint volume behind them.", [
                          (alerts, 0, 0, 32, 16), (by_severity, 32, 0, 16, 8), (verdicts, 32, 8, 16, 8),
                          (negative, 0, 16, 24, 14), (complaints, 24, 16, 24, 14),
                      ], time_from="now-24h")
    return [alerts, by_severity, verdicts, negative, complaints, board]


def competitors() -> list[dict]:
    share = lens("veille-lens-share-of-voice", "Share of voice", "Share of mentions per watched brand.", MENTIONS,
                 "lnsPie", [top_values("watch", 10, "count", "Watch"), count()], pie("by-watch", "count"))
    share_over_time = lens("veille-lens-share-of-voice-over-time", "Share of voice over time",
                           "Each watch's share of the mentions per interval.", MENTIONS, "lnsXY",
                           [over_time("created_at"), top_values("watch", 10, "count", "Watch"), count()],
                           xy("area_percentage_stacked", "time", ["count"], "by-watch"))
    sentiment = lens("veille-lens-sentiment-by-watch", "Sentiment per watch",
                     "Share of negative, neutral and positive mentions per watch.", MENTIONS, "lnsXY",
                     [top_values("watch", 10, "count", "Watch"), top_values("sentiment", 3, "count", "Sentiment"),
                      count()], xy("bar_percentage_stacked", "by-watch", ["count"], "by-sentiment"))
    average = lens("veille-lens-average-sentiment-by-watch", "Average sentiment score per watch",
                   "Mean sentiment score (-1 … 1) per watch.", MENTIONS, "lnsXY",
                   [top_values("watch", 10, "average-sentiment_score", "Watch", other_bucket=False),
                    metric("average", "sentiment_score", "Average sentiment")],
                   xy("bar", "by-watch", ["average-sentiment_score"], legend="bottom"))
    categories = lens("veille-lens-categories-by-watch", "Categories per watch", "Mentions per watch and category.",
                      MENTIONS, "lnsXY",
                      [top_values("watch", 10, "count", "Watch"), top_values("categories", 9, "count", "Category"),
                       count()], xy("bar_stacked", "by-watch", ["count"], "by-categories"))
    board = dashboard("veille-dashboard-competitors", "Veille · Competitors",
                      "Share of voice, sentiment and categories of each watched brand.", [
                          (share, 0, 0, 16, 14), (share_over_time, 16, 0, 32, 14),
                          (sentiment, 0, 14, 16, 14), (average, 16, 14, 16, 14), (categories, 32, 14, 16, 14),
                      ], time_from="now-30d")
    return [share, share_over_time, sentiment, average, categories, board]


def trends() -> list[dict]:
    top_terms = lens("veille-lens-top-terms", "Top terms", "Terms by burst score, with how often they were seen.",
                     TRENDS, "lnsDatatable",
                     [top_values("term", 30, "max-burst_score", "Term"),
                      top_values("watch", 5, "max-burst_score", "Watch"),
                      metric("max", "burst_score", "Burst score"), metric("sum", "count", "Mentions")],
                     table(["by-term", "by-watch", "max-burst_score", "sum-count"], "max-burst_score"))
    emerging = lens("veille-lens-emerging-terms", "Emerging terms", "Terms flagged as emerging, by mentions.",
                    TRENDS, "lnsXY",
                    [top_values("term", 15, "sum-count", "Term", other_bucket=False),
                     metric("sum", "count", "Mentions")],
                    xy("bar_horizontal", "by-term", ["sum-count"], legend="bottom"), kql="emerging : true")
    bursts = lens("veille-lens-burst-scores-over-time", "Burst scores over time",
                  "Highest burst score per interval for the terms that burst most.", TRENDS, "lnsXY",
                  [over_time("window_start"), top_values("term", 10, "max-burst_score", "Term"),
                   metric("max", "burst_score", "Burst score")],
                  xy("line", "time", ["max-burst_score"], "by-term"))
    board = dashboard("veille-dashboard-trends", "Veille · Trends", "Terms that burst above their own baseline.", [
        (top_terms, 0, 0, 24, 16), (emerging, 24, 0, 24, 16), (bursts, 0, 16, 48, 14),
    ], time_from="now-24h")
    return [top_terms, emerging, bursts, board]


def deadlines() -> list[dict]:
    by_priority = lens("veille-lens-mentions-by-priority", "Mentions by priority", "Mentions per priority.",
                       MENTIONS, "lnsXY", [top_values("priority", 5, "count", "Priority", other_bucket=False), count()],
                       xy("bar", "by-priority", ["count"], legend="bottom"), kql='not priority : "none"')
    by_action = lens("veille-lens-priority-action-table", "Priority and action",
                     "What the playbook asks for, and how many mentions need it.", MENTIONS, "lnsDatatable",
                     [top_values("priority", 5, "count", "Priority"), top_values("action", 10, "count", "Action"),
                      count()], table(["by-priority", "by-action", "count"], "count"))
    due = lens("veille-lens-replies-due-over-time", "Replies due over time",
               "Mentions per reply deadline, by priority.", MENTIONS, "lnsXY",
               [over_time("reply_by"), top_values("priority", 5, "count", "Priority"), count()],
               xy("bar_stacked", "time", ["count"], "by-priority"), kql="reply_by : *")
    queue = saved_search("veille-search-reply-queue", "Reply queue",
                         "Mentions that need an answer, the nearest deadline first.", MENTIONS,
                         ["reply_by", "priority", "action", "watch", "platform", "author.handle", "text", "url"],
                         [["reply_by", "asc"]], 'reply_by : * and not priority : "none"')
    board = dashboard("veille-dashboard-deadlines", "Veille · Reply deadlines",
                      "What to answer first: mentions by priority and action, and the queue by deadline.", [
                          (by_priority, 0, 0, 16, 12), (by_action, 16, 0, 32, 12), (due, 0, 12, 48, 10),
                          (queue, 0, 22, 48, 20),
                      ], time_from="now-7d")
    return [by_priority, by_action, due, queue, board]


FILES = {
    "data-views.ndjson": data_views,
    "overview.ndjson": overview,
    "crisis.ndjson": crisis,
    "competitors.ndjson": competitors,
    "trends.ndjson": trends,
    "deadlines.ndjson": deadlines,
}


def render() -> dict[str, str]:
    """File name → ndjson text (one saved object per line)."""
    return {name: "".join(json.dumps(obj, ensure_ascii=False) + "\n" for obj in build()) for name, build in FILES.items()}


def stale_files(directory: Path = HERE) -> list[str]:
    """Names of the ndjson files whose content differs from what :func:`render` generates."""
    return [name for name, text in render().items()
            if not (directory / name).exists() or (directory / name).read_text(encoding="utf-8") != text]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = stale_files()
        if stale:
            print(f"out of date (run python dashboards/build.py): {', '.join(stale)}", file=sys.stderr)
            return 1
        return 0
    for name, text in render().items():
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"wrote dashboards/{name} ({text.count(chr(10))} objects)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
