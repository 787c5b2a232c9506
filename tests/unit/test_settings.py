"""Production settings are secure by default; local mode is one switch away."""

import os
import subprocess
import sys

from tests.support.processes import ROOT


def manage(*args, **env):
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("HELLOWORLD_", "DJANGO_"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_production_without_a_secret_key_refuses_to_start_and_says_how_to_fix_it(tmp_path):
    result = manage("check", HELLOWORLD_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "HELLOWORLD_LOCAL=1" in result.stderr


def test_production_settings_pass_the_deploy_checklist(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="a-production-secret-" + "x" * 50,
        ALLOWED_HOSTS="helloworld.example.com",
        HELLOWORLD_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_local_mode_needs_no_secret_and_is_not_for_deploys(tmp_path):
    result = manage("check", "--deploy", HELLOWORLD_LOCAL="1", HELLOWORLD_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    # The deploy checklist rightly complains about local mode's debug and secret key.
    assert "security.W018" in result.stderr  # DEBUG on


def test_a_malformed_boolean_is_a_clear_error(tmp_path):
    result = manage("check", HELLOWORLD_LOCAL="maybe", HELLOWORLD_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "HELLOWORLD_LOCAL='maybe' is not a boolean; use 1 or 0." in result.stderr
