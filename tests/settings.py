"""Test settings: the project's own settings in local mode, with a data directory of their own.

Each test run gets a fresh data directory (SQLite test database, filesystem broker), so that
nothing a previous run left in the broker's folders reaches this run's workers.
"""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("HELLOWORLD_LOCAL", "1")
# pytest-xdist's workers inherit the environment of the process that started them, which has set
# the two variables below for itself: each worker is a test run of its own and needs its own.
if "PYTEST_XDIST_WORKER" in os.environ or "HELLOWORLD_DATA_DIR" not in os.environ:
    os.environ["HELLOWORLD_DATA_DIR"] = tempfile.mkdtemp(prefix="helloworld-tests-")
    atexit.register(shutil.rmtree, os.environ["HELLOWORLD_DATA_DIR"], ignore_errors=True)

# Queues, remote control and events of this run's own, so that two test runs on one machine
# (or a benchmark beside them) never take each other's tasks on the shared Redis and RabbitMQ.
if "PYTEST_XDIST_WORKER" in os.environ or "CELERY_QUEUE_PREFIX" not in os.environ:
    os.environ["CELERY_QUEUE_PREFIX"] = f"hwtest{os.getpid()}"

from helloworld.settings import *  # noqa: F403
from helloworld.settings import DATABASES

if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # pytest-django's default name (test_<name>) would be shared by concurrent runs.
    DATABASES["default"]["TEST"] = {"NAME": f"test_helloworld_{os.getpid()}"}

# Each test asks the broker afresh (health and the dashboard otherwise share a snapshot up to 5 s
# old); tests of the sharing itself set their own interval.
MONITOR_REFRESH_SECONDS = 0
# Likewise the dashboard's counts and stats per task type are computed afresh; the test of the cache sets its own.
DASHBOARD_FIGURES_CACHE_SECONDS = 0
