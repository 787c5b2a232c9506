"""X-Forwarded-Proto (and -For) trusted only where the platform's router sets them: on where DYNO is set,
off elsewhere, TRUST_PROXY_HEADERS either way. (granian passes them through: Django alone decides.)"""

import subprocess
import sys

import pytest

from tests.support import processes

PROBE = (
    "from django.conf import settings; "
    "print(settings.TRUST_PROXY_HEADERS, getattr(settings, 'SECURE_PROXY_SSL_HEADER', None) is not None)"
)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, "False False"),
        ({"DYNO": "web.1"}, "True True"),
        ({"DYNO": "web.1", "TRUST_PROXY_HEADERS": "0"}, "False False"),
        ({"TRUST_PROXY_HEADERS": "1"}, "True True"),
    ],
)
def test_proxy_headers_are_trusted_only_on_the_platform_unless_told(tmp_path, extra, expected):
    env = processes.site_env(tmp_path, local=False, SECRET_KEY="proxy-test-" + "k" * 40, **extra)
    if "DYNO" not in extra:
        env.pop("DYNO", None)
    env["DJANGO_SETTINGS_MODULE"] = "helloworld.settings"
    completed = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {PROBE}"],
        cwd=processes.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1] == expected
