"""Schemathesis, the OpenAPI fuzzer, against the real site (the web server and a worker under honcho, local
mode): on every GET endpoint and every task endpoint, never a 5xx, every answer as documented, and
nothing recorded for a refused request.

The budget is bounded (20 cases per operation, single-threaded) so that it fits `make test`; the
periodic tasks' writes are left out, as fuzzed schedules would fill beat's table with every kind
of schedule for the rest of the run. Failing cases are printed by Schemathesis with a curl line.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import processes

pytestmark = pytest.mark.slow

CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
    "refused_requests_record_nothing"  # ours: tests/support/schemathesis_hooks.py
)
ROOT = Path(__file__).resolve().parents[2]
BUDGET = ["--max-examples", "20", "--workers", "1", "--seed", "1", "--phases", "examples,coverage,fuzzing"]
RUNS = {
    "every GET": ["--include-method", "GET"],
    "the task endpoints' POSTs": ["--include-method", "POST", "--include-path-regex", "^/api/tasks/"],
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("schemathesis")
    env = processes.site_env(tmp_path)
    processes.release(env)
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    with processes.honcho("Procfile.real", ["web", "worker"], env, port, tmp_path / "honcho.log") as running:
        processes.wait_for_site(base, running)
        yield base, env
        running.stop()


@pytest.mark.parametrize("run", list(RUNS))
def test_schemathesis_finds_no_5xx_no_answer_unlike_the_document_and_nothing_recorded_when_refused(site, run, tmp_path):
    base, env = site
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    command = [st, "run", f"{base}/api/openapi.json", "--url", base, "--checks", CHECKS, *BUDGET, *RUNS[run]]
    hooks = {
        "SCHEMATHESIS_HOOKS": "tests.support.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
        "SITE_DATABASE": str(Path(env["HELLOWORLD_DATA_DIR"]) / "db.sqlite3"),
    }
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=600, cwd=tmp_path, env={**os.environ, **hooks}
    )
    assert completed.returncode == 0, completed.stdout[-8000:] + completed.stderr[-2000:]
