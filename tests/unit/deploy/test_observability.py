"""The Grafana dashboard and the Prometheus alert rules in deploy/ use only the agreed metric names, and between them
watch every one of them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # no stubs among the dev dependencies

from tests.unit.deploy.kustomize import DEPLOY, K8S

pytestmark = pytest.mark.unit

DASHBOARD = DEPLOY / "grafana" / "helpdesk.json"
ALERTS = DEPLOY / "prometheus" / "alerts.yaml"
PROMETHEUS = DEPLOY / "prometheus" / "prometheus.yaml"
OPERATIONS = DEPLOY.parent / "docs" / "operations.md"

# The metric names the processes serve, each with its type; every series also has a `service` label.
METRICS = {
    "helpdesk_http_requests_total": "counter",
    "helpdesk_http_request_duration_seconds": "histogram",
    "helpdesk_events_published_total": "counter",
    "helpdesk_events_consumed_total": "counter",
    "helpdesk_events_failed_total": "counter",
    "helpdesk_events_dead_lettered_total": "counter",
    "helpdesk_consumer_lag": "gauge",
    "helpdesk_outbox_backlog": "gauge",
    "helpdesk_outbox_relay_delay_seconds": "histogram",
    "helpdesk_search_index_entries": "gauge",
    "helpdesk_search_replay_progress_ratio": "gauge",
    "helpdesk_mails_total": "counter",
    "helpdesk_mails_waiting": "gauge",
    "helpdesk_rate_limit_refusals_total": "counter",
}
HISTOGRAM_SERIES = ("_bucket", "_sum", "_count")
PROMETHEUS_OWN = {"up"}  # written by Prometheus for every target it scrapes
RUNBOOKS = ("stuck consumer", "growing dead-letter topic", "search index rebuild", "MongoDB or Kafka outage",
            "rotating signing keys", "scaling each service and its limits")
SEVERITIES = {"critical", "warning", "info"}

# PromQL words that are not metric names: aggregations, functions (followed by "("), keywords and modifiers.
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
             "inf", "nan"}


def _series(expression: str) -> set[str]:
    """The metric names a PromQL expression reads: what is left once strings, label matchers, ranges, grouping
    clauses, numbers, functions and keywords are taken out."""
    unbalanced = expression.count("(") != expression.count(")") or expression.count("{") != expression.count("}")
    assert not unbalanced, expression
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)
    text = re.sub(r"\{[^{}]*\}|\[[^\[\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", text)
    text = re.sub(r"\boffset\s+\w+", " ", text)
    text = re.sub(r"\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b", " ", text)
    words = re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?", text)
    return {word[1] for word in words if not word[2] and word[1].lower() not in _KEYWORDS}


def _metric(series: str) -> str:
    """The agreed metric a series belongs to (a histogram's _bucket, _sum and _count series belong to it)."""
    for suffix in HISTOGRAM_SERIES:
        base = series.removesuffix(suffix)
        if base != series and METRICS.get(base) == "histogram":
            return base
    return series


def _assert_agreed(series: set[str], where: str) -> None:
    for name in series - PROMETHEUS_OWN:
        assert _metric(name) in METRICS, f"{where}: {name} is not an agreed metric name"
        if METRICS[_metric(name)] == "histogram":
            assert name != _metric(name), f"{where}: a histogram is read through its _bucket/_sum/_count series"


_AGGREGATION = re.compile(r"\b(sum|min|max|avg|group|stddev|stdvar|count|count_values|topk|bottomk|quantile)"
                          r"\s*(?:(by|without)\s*\(([^()]*)\))?\s*\(")


def _mixed_namespaces(expression: str) -> list[str]:
    """The parts of a PromQL expression that would add up, compare or average series of different namespaces: an
    aggregation that drops the `namespace` label, a vector match on labels without it, an absent() that names none."""
    mixed = []
    for aggregation in _AGGREGATION.finditer(expression):
        _, clause, labels = aggregation.groups()
        named = {label.strip() for label in (labels or "").split(",")}
        if not clause or (clause == "by") != ("namespace" in named):  # `by` must name it, `without` must not
            mixed.append(aggregation[0])
    mixed += [match[0] for match in re.finditer(r"\b(?:on|ignoring)\s*\(([^()]*)\)", expression)
              if "namespace" not in match[1]]
    mixed += [match[0] for match in re.finditer(r"\babsent\w*\(([^()]*)\)", expression)
              if "namespace=" not in match[1]]
    return mixed


def _scraped_namespaces() -> set[str]:
    (job,) = yaml.safe_load(PROMETHEUS.read_text())["scrape_configs"]
    (discovery,) = job["kubernetes_sd_configs"]
    return set(discovery["namespaces"]["names"])


def _scraped_services() -> set[str]:
    """The `service` label of every pod deploy/k8s/base asks Prometheus to scrape (its app.kubernetes.io/name)."""
    services = set()
    for manifest in sorted((K8S / "base").glob("*.yaml")):
        for document in yaml.safe_load_all(manifest.read_text()):
            template = (document or {}).get("spec", {}).get("template", {}).get("metadata", {})
            if template.get("annotations", {}).get("prometheus.io/scrape") == "true":
                services.add(template["labels"]["app.kubernetes.io/name"])
    return services


def _alert_rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load(ALERTS.read_text())
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def _dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def _dashboard_targets() -> list[tuple[str, dict[str, Any]]]:
    return [(panel["title"], target) for panel in _dashboard()["panels"] for target in panel.get("targets", [])]


def test_the_expression_reader_finds_metric_names_and_nothing_else() -> None:
    expression = ('histogram_quantile(0.99, sum by (service, le) (rate(helpdesk_x_bucket{route=~"/a/{id}"}[5m])))'
                  ' / on (service) group_left max(helpdesk_y offset 1h) > bool 2 unless up{job="j"} == 0')
    assert _series(expression) == {"helpdesk_x_bucket", "helpdesk_y", "up"}
    with pytest.raises(AssertionError):
        _assert_agreed({"helpdesk_http_requests"}, "a typo")
    with pytest.raises(AssertionError):
        _assert_agreed({"helpdesk_outbox_relay_delay_seconds"}, "a histogram read as a gauge")


def test_the_namespace_check_finds_what_would_add_namespaces_up() -> None:
    assert _mixed_namespaces('sum by (namespace, service) (rate(x[5m])) / on (namespace, service) '
                             'max without (pod) (y) unless absent(up{namespace="helpdesk"}) or z == 0') == []
    assert _mixed_namespaces("sum by (service) (rate(x[5m]))") == ["sum by (service) ("]
    assert _mixed_namespaces("sum(rate(x[5m]))") == ["sum("]
    assert _mixed_namespaces("count without (namespace) (x)") == ["count without (namespace) ("]
    assert _mixed_namespaces("x / on (service) y") == ["on (service)"]
    assert _mixed_namespaces('absent(up{service="gateway"})') == ['absent(up{service="gateway"})']


def test_every_alert_keeps_each_namespace_apart() -> None:
    # prometheus.yaml scrapes production and dev alike: a sum over both would let one hide or raise the other.
    for rule in _alert_rules():
        assert _mixed_namespaces(rule["expr"]) == [], rule["alert"]


def test_a_service_is_absent_for_as_long_as_no_pod_of_it_is_scraped() -> None:
    rules = [rule for rule in _alert_rules() if rule["alert"].startswith("HelpdeskServiceAbsent")]
    term = r'absent\(up\{job="partner-helpdesk", namespace="([a-z0-9-]+)", service="([a-z]+)"\}\)'
    watched: dict[tuple[str, str], str] = {}
    for rule in rules:
        expression = " ".join(rule["expr"].split())
        # absent() of each service in a namespace, and nothing that looks back over a window (offset, *_over_time),
        # which would resolve the alert once the service has been gone longer than the window.
        assert re.fullmatch(f"{term}(?: or {term})*", expression), expression
        watched |= {pair: rule["labels"]["severity"] for pair in re.findall(term, expression)}

    assert set(watched) == {(namespace, service) for namespace in _scraped_namespaces()
                            for service in _scraped_services()}
    assert _scraped_services() == {"gateway", "identity", "search", "email", "access"}
    # Production pages; a dev namespace scaled down or not deployed only warns.
    assert {namespace: severity for (namespace, _), severity in watched.items()} == {
        "helpdesk": "critical", "helpdesk-dev": "warning"}


def test_every_alert_is_complete_and_reads_only_agreed_metrics() -> None:
    rules = _alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names)), names
    for rule in rules:
        name = rule["alert"]
        assert re.fullmatch(r"Helpdesk[A-Z][A-Za-z]+", name), name
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, name
        assert re.fullmatch(r"\d+[smh]", rule.get("for", "0s")), name
        assert rule["labels"]["severity"] in SEVERITIES, name
        assert rule["annotations"]["summary"], name
        assert rule["annotations"]["description"], name
        if "runbook" in rule["annotations"]:
            assert rule["annotations"]["runbook"].startswith("docs/operations.md: "), name
            assert rule["annotations"]["runbook"].removeprefix("docs/operations.md: ").startswith(RUNBOOKS), name
        series = _series(rule["expr"])
        assert series, name
        _assert_agreed(series, name)


def test_the_alerts_cover_errors_latency_lag_dead_letters_outbox_mail_and_targets_down() -> None:
    read = {_metric(name) for rule in _alert_rules() for name in _series(rule["expr"])}
    assert read >= {"helpdesk_http_requests_total", "helpdesk_http_request_duration_seconds", "helpdesk_consumer_lag",
                    "helpdesk_events_dead_lettered_total", "helpdesk_outbox_backlog",
                    "helpdesk_outbox_relay_delay_seconds", "helpdesk_mails_total", "up"}


def test_the_target_alerts_watch_the_job_that_prometheus_yaml_scrapes() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    assert config["rule_files"] == [ALERTS.name]
    (job,) = config["scrape_configs"]
    assert job["honor_labels"] is True  # each process's own `service` label wins
    assert {"service", "__metrics_path__", "__address__"} <= {r.get("target_label") for r in job["relabel_configs"]}
    jobs = {match for rule in _alert_rules() for match in re.findall(r'job="([^"]+)"', rule["expr"])}
    assert jobs == {job["job_name"]}


def test_every_dashboard_panel_reads_only_agreed_metrics_from_the_chosen_data_source() -> None:
    dashboard = _dashboard()
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    assert (variables["datasource"]["type"], variables["datasource"]["query"]) == ("datasource", "prometheus")
    chosen = {"type": "prometheus", "uid": "${datasource}"}
    for name in ("namespace", "service"):
        assert variables[name]["datasource"] == chosen, name
        _assert_agreed(_series(variables[name]["query"]["query"].removeprefix("label_values(").split(",")[0]),
                       f"the {name} variable")
    for title, target in _dashboard_targets():
        assert target["datasource"] == chosen, title
        assert 'service=~"$service"' in target["expr"], title
        series = _series(target["expr"].replace("$__rate_interval", "5m"))
        assert series, title
        _assert_agreed(series, title)
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"] == chosen, panel["title"]


def test_the_dashboard_shows_one_namespace_at_a_time() -> None:
    variables = {variable["name"]: variable for variable in _dashboard()["templating"]["list"]}
    namespace = variables["namespace"]

    # One namespace chosen, never all: production's and dev's series would add up in every panel's sums.
    assert (namespace["type"], namespace["multi"], namespace["includeAll"]) == ("query", False, False)
    assert namespace["query"]["query"] == 'label_values(up{job="partner-helpdesk"}, namespace)'
    assert 'namespace="$namespace"' in variables["service"]["query"]["query"]
    for title, target in _dashboard_targets():
        selectors = re.findall(r"\{([^{}]*)\}", target["expr"])
        assert selectors, title
        for selector in selectors:
            assert 'namespace="$namespace"' in selector, (title, selector)


def test_the_dashboard_shows_every_agreed_metric() -> None:
    shown = {_metric(name) for _, target in _dashboard_targets() for name in _series(target["expr"])}
    assert set(METRICS) - shown == set()


def test_the_dashboard_panels_have_their_own_ids_and_places() -> None:
    panels = _dashboard()["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    assert len({panel["title"] for panel in panels}) == len(panels)
    taken: set[tuple[int, int]] = set()
    for panel in panels:
        place = panel["gridPos"]
        assert place["x"] >= 0, panel["title"]
        assert place["x"] + place["w"] <= 24, panel["title"]
        cells = {(x, y) for x in range(place["x"], place["x"] + place["w"])
                 for y in range(place["y"], place["y"] + place["h"])}
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells



def test_the_operations_guide_names_every_alert_and_only_those() -> None:
    guide = OPERATIONS.read_text()
    watch = guide.split("## What to watch and alert on", 1)[1].split("\n## ", 1)[0]
    alerts = {rule["alert"] for rule in _alert_rules()}

    assert set(re.findall(r"\bHelpdesk[A-Z][A-Za-z]+", guide)) <= alerts
    assert alerts - set(re.findall(r"\bHelpdesk[A-Z][A-Za-z]+", watch)) == set()
