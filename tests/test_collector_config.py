"""Checks of collector-config/: OTel Collector pipelines, Prometheus config and alert rules
(via promtool, which must be on PATH), Grafana dashboard queries."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

CONFIG_DIR = Path(__file__).resolve().parent.parent / "collector-config"

# Metric names as Prometheus sees them (OTel `uno_jobs.<name>` through the Prometheus exporter).
_COUNTERS = ["job_enqueued", "job_started", "job_completed", "job_failed"]
_COUNTERS += ["job_retry", "job_cancelled", "job_retries_exhausted"]
_HISTOGRAMS = ["execution_time", "wait_time"]
_GAUGES = ["queue_length", "worker_busy", "worker_idle", "health", "alerts"]
_AGE_GAUGES = ["queue_oldest_job_age", "scheduler_lag", "worker_heartbeat_age"]  # unit s
_OBSERVABLE_COUNTERS = ["scheduler_missed_runs"]
_PIPELINE_COUNTERS = ["telemetry_dropped_spans"]  # the plugin's, not in semconv.ALL_METRICS
KNOWN_METRICS = frozenset(
    [f"uno_jobs_{n}_total" for n in _COUNTERS + _OBSERVABLE_COUNTERS + _PIPELINE_COUNTERS]
    + [f"uno_jobs_{n}_seconds_{s}" for n in _HISTOGRAMS for s in ("bucket", "sum", "count")]
    + [f"uno_jobs_{n}" for n in _GAUGES]
    + [f"uno_jobs_{n}_seconds" for n in _AGE_GAUGES]
)
ALERTS = {"JobSystemUnhealthy", "JobSystemDegraded", "JobFailureRateHigh", "QueueBacklog"}
ALERTS |= {"JobsStalled", "WorkersSaturated", "TelemetrySpansDropped", "QueueOldestJobWaiting"}

_PROMQL_WORDS = re.compile(r"by|without|on|ignoring|group_(left|right)|bool|and|or|unless|offset")


def metric_names(expr: str) -> set[str]:
    """Metric names referenced by a PromQL expression (Grafana variables allowed)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", expr)  # label matchers, range durations
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    names = set()
    for m in re.finditer(r"(?<![\w.$])[a-zA-Z_:][\w:]*", expr):
        is_call = re.match(r"\s*\(", expr[m.end() :])
        if not is_call and not _PROMQL_WORDS.fullmatch(m.group().lower()):
            names.add(m.group())
    return names


def load_yaml(name: str):
    return yaml.safe_load((CONFIG_DIR / name).read_text())


def promtool(*args: str, cwd: Path = CONFIG_DIR) -> None:
    exe = shutil.which("promtool")
    if exe is None:
        pytest.fail(
            "promtool not found on PATH: install Prometheus (e.g. `apt-get install "
            "prometheus`) to validate collector-config/",
            pytrace=False,
        )
    proc = subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"promtool {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"


def test_known_metrics_match_semconv():
    semconv = pytest.importorskip("uno.jobs.monitoring.semconv")
    suffix = {
        "counter": ("_total",),
        "observable_counter": ("_total",),
        "observable_gauge": ("",),
        "histogram": ("_seconds_bucket", "_seconds_sum", "_seconds_count"),
    }
    derived = {
        f"{semconv.DEFAULT_NAMESPACE}_{m.name.replace('.', '_')}"
        + ("_seconds" if m.unit == "s" and m.kind.value == "observable_gauge" else "")
        + s
        for m in (*semconv.ALL_METRICS, semconv.TELEMETRY_DROPPED_SPANS)
        for s in suffix[m.kind.value]
    }
    assert derived == KNOWN_METRICS


def test_metric_names_parser():
    expr = (
        'histogram_quantile(0.9, sum by (le, queue) (rate(a_b_bucket{queue=~"$queue"}'
        "[$__rate_interval]))) / on (queue) group_left() (x or vector(0)) > bool 1e3"
    )
    assert metric_names(expr) == {"a_b_bucket", "x"}


# --- OpenTelemetry Collector -------------------------------------------------------------


def test_collector_pipelines_are_consistent():
    cfg = load_yaml("otel-collector.yaml")
    service = cfg["service"]
    pipelines = service["pipelines"]
    assert set(pipelines) == {"traces", "metrics", "logs"}
    used: dict[str, set[str]] = {"receivers": set(), "processors": set(), "exporters": set()}
    for name, pipeline in pipelines.items():
        for section in used:
            assert pipeline.get(section), f"pipeline {name} has no {section}"
            undefined = set(pipeline[section]) - set(cfg.get(section) or {})
            assert not undefined, f"pipeline {name} uses undefined {section}: {undefined}"
            used[section] |= set(pipeline[section])
        assert pipeline["processors"][0] == "memory_limiter", name
        assert "batch" in pipeline["processors"], name
        assert "otlphttp/vendor" in pipeline["exporters"], name
    for section, names in used.items():
        assert set(cfg[section]) == names, f"unused {section}: {set(cfg[section]) - names}"
    assert "prometheus" in pipelines["metrics"]["exporters"]
    assert service["extensions"] == ["health_check"] and "health_check" in cfg["extensions"]


def test_collector_components_settings():
    cfg = load_yaml("otel-collector.yaml")
    protocols = cfg["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == "0.0.0.0:4317"
    assert protocols["http"]["endpoint"] == "0.0.0.0:4318"
    limiter = cfg["processors"]["memory_limiter"]
    assert limiter["check_interval"] and limiter["limit_mib"] > limiter["spike_limit_mib"] > 0
    prom = cfg["exporters"]["prometheus"]
    assert prom["endpoint"] == "0.0.0.0:8889" and prom["namespace"] == ""
    assert prom["resource_to_telemetry_conversion"]["enabled"] is True
    vendor = cfg["exporters"]["otlphttp/vendor"]
    assert vendor["endpoint"] == "${env:VENDOR_OTLP_ENDPOINT}"
    assert "${env:VENDOR_API_KEY}" in vendor["headers"].values()


# --- Prometheus ----------------------------------------------------------------------------


def test_promtool_check_config():
    promtool("check", "config", "prometheus.yml")


def test_promtool_check_rules():
    promtool("check", "rules", "alert-rules.yml")


def test_promtool_test_rules():
    promtool("test", "rules", "alert-rules.test.yml")


def test_prometheus_scrapes_collector_and_app():
    cfg = load_yaml("prometheus.yml")
    assert cfg["rule_files"] == ["alert-rules.yml"]
    targets = {
        t for job in cfg["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]
    }
    assert {"localhost:8889", "localhost:9464"} <= targets


def test_alert_rules_use_known_metrics_and_are_annotated():
    rules = [r for g in load_yaml("alert-rules.yml")["groups"] for r in g["rules"]]
    assert {r["alert"] for r in rules} == ALERTS
    for rule in rules:
        names = metric_names(rule["expr"])
        assert names and names <= KNOWN_METRICS, (rule["alert"], names - KNOWN_METRICS)
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert {"summary", "description"} <= set(rule["annotations"])


def test_alert_tests_cover_firing_and_not_firing():
    cases = [c for t in load_yaml("alert-rules.test.yml")["tests"] for c in t["alert_rule_test"]]
    for alert in ALERTS:
        outcomes = {bool(c.get("exp_alerts")) for c in cases if c["alertname"] == alert}
        assert outcomes == {True, False}, f"{alert}: firing and not firing both needed"


# --- Grafana -------------------------------------------------------------------------------


def _dashboard():
    return json.loads((CONFIG_DIR / "grafana-dashboard.json").read_text())


def _panels(panels):
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def test_dashboard_variables():
    variables = {v["name"]: v for v in _dashboard()["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource"
    query = variables["queue"]["query"]
    query = query["query"] if isinstance(query, dict) else query
    assert query == "label_values(uno_jobs_queue_length, queue)"


def test_dashboard_queries_use_known_metrics_and_parse(tmp_path):
    exprs = [t["expr"] for p in _panels(_dashboard()["panels"]) for t in p.get("targets", [])]
    assert exprs
    for expr in exprs:
        names = metric_names(expr)
        assert names and names <= KNOWN_METRICS, (expr, names - KNOWN_METRICS)
    # promtool parses every query, as recording rules, once Grafana variables are filled in.
    grafana_vars = {"$__rate_interval": "5m", "$queue": ".*"}
    rules = [
        {
            "record": f"dashboard:query_{i}",
            "expr": re.sub(r"\$\w+", lambda m: grafana_vars[m.group()], e),
        }
        for i, e in enumerate(exprs)
    ]
    (tmp_path / "dashboard.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]})
    )
    promtool("check", "rules", "dashboard.yml", cwd=tmp_path)


_QUANTILES = [f"histogram_quantile({q}," for q in ("0.5", "0.95", "0.99")]
REQUIRED_PANELS = {  # topic -> fragments one panel's queries must all contain
    "throughput": [f"uno_jobs_{n}_total" for n in _COUNTERS[:4]],
    "failures by error_type": ["uno_jobs_job_failed_total", "by (error_type)"],
    "wait time": [*_QUANTILES, "uno_jobs_wait_time_seconds_bucket"],
    "execution time": [*_QUANTILES, "uno_jobs_execution_time_seconds_bucket"],
    "queue depth": ["uno_jobs_queue_length", "status"],
    "workers": ["uno_jobs_worker_busy", "uno_jobs_worker_idle"],
    "health": ["uno_jobs_health", "check", "status"],
    "alerts": ["uno_jobs_alerts", "alert"],
}


@pytest.mark.parametrize("topic", REQUIRED_PANELS)
def test_dashboard_has_panel(topic):
    queries = [
        " ".join(t["expr"] for t in p.get("targets", [])) for p in _panels(_dashboard()["panels"])
    ]
    assert any(all(f in q for f in REQUIRED_PANELS[topic]) for q in queries), topic
