"""Forwarded headers trusted only from the configured proxies: TRUST_PROXY_HEADERS on where DYNO is
set (and where told), FORWARDED_ALLOW_IPS '*' on the platform and this machine only elsewhere, and a
value that cannot be read stops the start with a message naming it."""

import subprocess
import sys

import pytest

from tests.support import processes

PROBE = (
    "from django.conf import settings; "
    "print(settings.TRUST_PROXY_HEADERS, getattr(settings, 'SECURE_PROXY_SSL_HEADER', None) is not None, "
    "','.join(settings.FORWARDED_ALLOW_IPS))"
)


def run_settings(tmp_path, code: str, **extra) -> subprocess.CompletedProcess:
    env = processes.site_env(tmp_path, local=False, SECRET_KEY="proxy-test-" + "k" * 40, **extra)
    if "DYNO" not in extra:
        env.pop("DYNO", None)
    env["DJANGO_SETTINGS_MODULE"] = "helloworld.settings"
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=processes.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, "False False 127.0.0.1,::1"),
        ({"DYNO": "web.1"}, "True True *"),
        ({"DYNO": "web.1", "TRUST_PROXY_HEADERS": "0"}, "False False *"),
        # Told to trust proxy headers off the platform: still only from this machine, not from anyone.
        ({"TRUST_PROXY_HEADERS": "1"}, "True True 127.0.0.1,::1"),
        (
            {"TRUST_PROXY_HEADERS": "1", "FORWARDED_ALLOW_IPS": "10.0.0.5, 10.1.0.0/16"},
            "True True 10.0.0.5,10.1.0.0/16",
        ),
    ],
)
def test_proxy_headers_are_trusted_only_from_the_configured_proxies(tmp_path, extra, expected):
    completed = run_settings(tmp_path, PROBE, **extra)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1] == expected


def test_an_unreadable_forwarded_allow_ips_stops_the_start_with_a_message(tmp_path):
    code = "from django.core.wsgi import get_wsgi_application; get_wsgi_application()"
    completed = run_settings(tmp_path, code, TRUST_PROXY_HEADERS="1", FORWARDED_ALLOW_IPS="10.0.0.5,router")
    assert completed.returncode != 0
    assert "FORWARDED_ALLOW_IPS: 'router' is not an IP address or network" in completed.stderr
