"""Several workers: with PROMETHEUS_MULTIPROC_DIR each process writes its values there; a scrape sums them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.observability.test_metrics import value

ROOT = Path(__file__).resolve().parents[2]

WORKER = """
import sys
from app import metrics
from app.settings import MetricsSettings
metrics.configure(MetricsSettings())
action = sys.argv[1]
if action == "start":
    metrics.call_started("phone")
    metrics.call_started("phone")
    timer = metrics.relay_timer("inbound")
    for _ in range(25):  # one frame in ten is observed
        timer(0.0004)
elif action == "end":
    metrics.call_ended("phone", "completed")
else:
    sys.stdout.write(metrics.current().render().decode())
"""


def _run(action: str, directory: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", WORKER, action], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_multiprocess_scrape_sums_every_workers_values(tmp_path: Path) -> None:
    _run("start", tmp_path)  # one worker starts two calls
    _run("end", tmp_path)  # another ends one of them
    assert list(tmp_path.glob("*.db")), "workers wrote no value files"
    text = _run("scrape", tmp_path)
    assert value(text, "callintake_calls_started_total", channel="phone") == 2
    assert value(text, "callintake_calls_ended_total", channel="phone", status="completed") == 1
    assert value(text, "callintake_calls_live", channel="phone") == 1
    assert value(text, "callintake_relay_frame_latency_seconds_count", direction="inbound") == 2
