"""`make admin` without a terminal (a script, CI): Django's createsuperuser would print "skipped" and
exit 0, so a script went on without a user. It fails with the way to do it without a terminal, and
does it when the name and password are in the environment."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import processes

pytestmark = pytest.mark.slow


def make_admin(env: dict) -> subprocess.CompletedProcess:
    # The running interpreter's virtualenv stands in for the project's; -o migrate: the test migrates
    # first (make's migrate would build a virtualenv of its own from requirements.txt).
    venv = Path(sys.executable).parent.parent
    return subprocess.run(
        ["make", "--no-print-directory", "-o", "migrate", "admin", f"VENV={venv}"],
        cwd=processes.ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_make_admin_without_a_terminal_fails_and_says_how(tmp_path):
    env = processes.site_env(tmp_path)
    processes.manage(env, "migrate", "--noinput")
    refused = make_admin(env)
    assert refused.returncode != 0
    assert "this is not a terminal" in refused.stderr
    assert "DJANGO_SUPERUSER_USERNAME=admin" in refused.stderr and "DJANGO_SUPERUSER_PASSWORD=" in refused.stderr

    given = {
        "DJANGO_SUPERUSER_USERNAME": "admin",
        "DJANGO_SUPERUSER_EMAIL": "admin@example.com",
        "DJANGO_SUPERUSER_PASSWORD": "a long enough password",
    }
    created = make_admin({**env, **given})
    assert created.returncode == 0, created.stderr
    assert "Superuser created successfully." in created.stdout
    query = "from django.contrib.auth.models import User; print([u.username for u in User.objects.all()])"
    users = processes.manage(env, "shell", "-c", query)
    assert users.strip().splitlines()[-1] == "['admin']"  # the one user, made a superuser above
