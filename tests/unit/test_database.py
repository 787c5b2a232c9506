"""The database the tests run on is the one the environment names, tuned as the settings say."""

import os

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_database_is_the_one_database_url_names():
    expected = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert connection.vendor == expected


def test_the_database_is_tuned_for_web_worker_and_beat_at_once():
    if connection.vendor == "sqlite":
        # Several processes write: WAL, a 20 s busy timeout, and the write lock taken at BEGIN.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 20_000
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    else:
        # A server database: connections are kept, and checked before each request reuses one.
        assert connection.settings_dict["CONN_MAX_AGE"] == 600
        assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
