"""The shared harness: interleaved rounds, median and spread, ratios, targets, table and JSON.

Every figure a benchmark reports is a list of measured samples, one per round; the table shows
the median, the spread (smallest to largest) and the sample count, and targets are ratios of
medians taken in the same run, so that machine noise cancels as far as it can.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"

PACKAGES = (
    "Django",
    "celery",
    "kombu",
    "amqp",
    "redis",
    "django-celery-beat",
    "django-celery-results",
    "psycopg",
    "granian",
    "rq",
)


def say(*parts) -> None:
    print(*parts, flush=True)


def interleave(contenders: dict, rounds: int, between=None) -> None:
    """Run each contender once per round, the order rotated each round so that no contender
    always runs first (cold caches) or last (a warm, busy machine). `between()` runs untimed
    after every run (emptying queues)."""
    names = list(contenders)
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            contenders[name]()
            if between:
                between()


def percentile(values, fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `fraction` of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Metric:
    name: str
    unit: str
    higher_is_better: bool
    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, contender: str, value: float) -> None:
        self.samples.setdefault(contender, []).append(float(value))

    def median(self, contender: str) -> float | None:
        values = self.samples.get(contender)
        return statistics.median(values) if values else None

    def summary(self, contender: str) -> dict:
        values = self.samples.get(contender) or []
        if not values:
            return {"n": 0}
        median = statistics.median(values)
        return {
            "median": median,
            "min": min(values),
            "max": max(values),
            # The spread as a share of the median: how far apart the rounds landed.
            "spread_pct": 100 * (max(values) - min(values)) / median if median else None,
            "n": len(values),
            "samples": values,
        }


@dataclass
class Target:
    text: str
    measured: float | None
    limit: float
    at_most: bool  # True: measured must be <= limit; False: >= limit
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.measured is None:
            return None
        return self.measured <= self.limit if self.at_most else self.measured >= self.limit

    def as_json(self) -> dict:
        return {
            "target": self.text,
            "measured": self.measured,
            "limit": self.limit,
            "at_most": self.at_most,
            "met": self.met,
            "note": self.note,
        }

    def line(self) -> str:
        if self.met is None:
            return f"  [ n/a ] {self.text}: not measured{' (' + self.note + ')' if self.note else ''}"
        word = "met" if self.met else "MISSED"
        by = ""
        if not self.met and self.limit:
            by = f", off by {100 * abs(self.measured - self.limit) / abs(self.limit):.0f}%"
        note = f" ({self.note})" if self.note else ""
        return f"  [{word:^6}] {self.text}: {self.measured:.3g} vs limit {self.limit:g}{by}{note}"


class Report:
    """One benchmark's results: metrics by contender, ratios, targets, notes; a table and a JSON file."""

    def __init__(self, name: str, title: str, settings: dict | None = None):
        self.name = name
        self.title = title
        self.settings = dict(settings or {})
        self.metrics: dict[str, Metric] = {}
        self.ratios: dict[str, float | None] = {}
        self.targets: list[Target] = []
        self.notes: list[str] = []
        self.started = time.time()

    def metric(self, name: str, unit: str, higher_is_better: bool = True) -> Metric:
        if name not in self.metrics:
            self.metrics[name] = Metric(name, unit, higher_is_better)
        return self.metrics[name]

    def ratio(self, label: str, metric: str, a: str, b: str) -> float | None:
        """median(a) / median(b) of one metric, recorded under `label`."""
        top, bottom = self.metrics[metric].median(a), self.metrics[metric].median(b)
        value = top / bottom if top is not None and bottom else None
        self.ratios[label] = value
        return value

    def target(self, text: str, measured: float | None, limit: float, at_most: bool = False, note: str = "") -> Target:
        found = Target(text, measured, limit, at_most, note)
        self.targets.append(found)
        return found

    def note(self, text: str) -> None:
        self.notes.append(text)
        say(f"  note: {text}")

    # --- output ---------------------------------------------------------------------------

    def table(self) -> str:
        lines = [f"## {self.title}"]
        if self.settings:
            lines.append("  " + ", ".join(f"{key}={value}" for key, value in self.settings.items()))
        for metric in self.metrics.values():
            better = "higher is better" if metric.higher_is_better else "lower is better"
            lines.append(f"  {metric.name} [{metric.unit}, {better}]")
            width = max([len(name) for name in metric.samples] + [10])
            lines.append(f"    {'contender':<{width}}  {'median':>11}  {'min':>11}  {'max':>11}  {'spread':>7}  n")
            for contender in metric.samples:
                s = metric.summary(contender)
                spread = f"{s['spread_pct']:.0f}%" if s.get("spread_pct") is not None else "-"
                lines.append(
                    f"    {contender:<{width}}  {_num(s['median']):>11}  {_num(s['min']):>11}  "
                    f"{_num(s['max']):>11}  {spread:>7}  {s['n']}"
                )
        if self.ratios:
            lines.append("  ratios (medians):")
            for label, value in self.ratios.items():
                lines.append(f"    {label}: {'n/a' if value is None else f'{value:.3f}'}")
        if self.targets:
            lines.append("  targets:")
            lines.extend(target.line() for target in self.targets)
        if self.notes:
            lines.append("  notes:")
            lines.extend(f"    - {text}" for text in self.notes)
        return "\n".join(lines)

    def as_json(self, environment: dict) -> dict:
        return {
            "benchmark": self.name,
            "title": self.title,
            "finished_at": datetime.now(UTC).isoformat(),
            "seconds": round(time.time() - self.started, 1),
            "settings": self.settings,
            "environment": environment,
            "metrics": {
                name: {
                    "unit": metric.unit,
                    "higher_is_better": metric.higher_is_better,
                    "contenders": {c: metric.summary(c) for c in metric.samples},
                }
                for name, metric in self.metrics.items()
            },
            "ratios": self.ratios,
            "targets": [target.as_json() for target in self.targets],
            "notes": self.notes,
        }

    def write(self, environment: dict, smoke: bool) -> Path:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"{self.name}{'-smoke' if smoke else ''}.json"
        path.write_text(json.dumps(self.as_json(environment), indent=2, default=str) + "\n")
        return path


def markdown(reports: list[Report], header: list[str]) -> str:
    """The run as two Markdown tables (medians with their spread, then targets), for the README."""
    lines = [*header, "", "| benchmark | metric | contender | median | min-max | n |", "|---|---|---|---|---|---|"]
    for report in reports:
        for metric in report.metrics.values():
            for contender in metric.samples:
                s = metric.summary(contender)
                lines.append(
                    f"| {report.name} | {metric.name} ({metric.unit}) | {contender} | {_num(s['median'])} | "
                    f"{_num(s['min'])}-{_num(s['max'])} | {s['n']} |"
                )
    lines += ["", "| benchmark | target | measured | limit | met |", "|---|---|---|---|---|"]
    for report in reports:
        for target in report.targets:
            measured = "not measured" if target.measured is None else f"{target.measured:.3g}"
            met = {None: "n/a", True: "yes", False: "**no**"}[target.met]
            note = f" ({target.note})" if target.note else ""
            limit = f"{'<=' if target.at_most else '>='} {target.limit:g}"
            lines.append(f"| {report.name} | {target.text}{note} | {measured} | {limit} | {met} |")
    return "\n".join(lines) + "\n"


def _num(value) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


# --- the machine and the versions ---------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_total_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def versions() -> dict[str, str]:
    found = {"python": sys.version.split()[0]}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def machine() -> dict:
    return {
        "host": platform.node(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_mb": memory_total_mb(),
        "load_average_at_start": os.getloadavg(),
    }
