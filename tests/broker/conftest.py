"""The embedded broker's tests share its options (every folder under the test's own tmp_path) and a
connection through the site's transport."""

import pytest
from kombu import Connection

from helloworld import brokers

FILESYSTEM_URL = "filesystem-ordered://"


@pytest.fixture
def options(tmp_path):
    return dict(brokers.filesystem(tmp_path).transport_options)


@pytest.fixture
def connection(options):
    with Connection(FILESYSTEM_URL, transport_options=options) as connection:
        yield connection
