"""Schemathesis, the OpenAPI fuzzer, against the real site (gunicorn and a worker under honcho, local
mode): on every GET endpoint and every task endpoint, never a 5xx and every answer as documented.

The budget is bounded (20 cases per operation, single-threaded) so that it fits `make test`; the
periodic tasks' writes are left out, as fuzzed schedules would fill beat's table with every kind
of schedule for the rest of the run. Failing cases are printed by Schemathesis with a curl line.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import processes

pytestmark = pytest.mark.slow

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
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
        yield base
        running.stop()


@pytest.mark.parametrize("run", list(RUNS))
def test_schemathesis_finds_no_5xx_and_no_answer_unlike_the_document(site, run, tmp_path):
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    command = [st, "run", f"{site}/api/openapi.json", "--url", site, "--checks", CHECKS, *BUDGET, *RUNS[run]]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout[-8000:] + completed.stderr[-2000:]
