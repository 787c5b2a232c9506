"""Broker selection from the environment (helloworld/brokers.py)."""

import ssl
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from helloworld import brokers


def test_no_variable_means_the_embedded_filesystem_broker(tmp_path):
    broker = brokers.from_environ({}, tmp_path)
    assert broker.kind == "filesystem"
    assert broker.url == "filesystem-ordered://localhost//"  # kombu's filesystem transport, high first
    options = broker.transport_options
    assert options["data_folder_in"] == options["data_folder_out"]
    for name in ("data_folder_in", "processed_folder", "control_folder"):
        folder = Path(options[name])
        assert folder.is_dir()
        assert folder.parent == tmp_path / "broker"
    assert options["store_processed"] is False


@pytest.mark.parametrize(
    ("environ", "expected_source"),
    [
        ({"REDISTOGO_URL": "redis://togo:6379"}, "REDISTOGO_URL"),
        ({"REDISTOGO_URL": "redis://togo:6379", "REDISCLOUD_URL": "redis://cloud:6379"}, "REDISCLOUD_URL"),
        ({"REDISCLOUD_URL": "redis://cloud:6379", "REDIS_URL": "redis://heroku:6379"}, "REDIS_URL"),
        ({"REDIS_URL": "redis://heroku:6379", "CLOUDAMQP_URL": "amqps://u:p@cloudamqp/vh"}, "CLOUDAMQP_URL"),
        ({"CLOUDAMQP_URL": "amqps://u:p@cloudamqp/vh", "CELERY_BROKER_URL": "amqp://x@y//"}, "CELERY_BROKER_URL"),
    ],
)
def test_the_first_variable_in_the_documented_order_wins(tmp_path, environ, expected_source):
    broker = brokers.from_environ(environ, tmp_path)
    assert broker.source == expected_source
    assert broker.url == environ[expected_source]


def test_blank_variables_are_ignored(tmp_path):
    broker = brokers.from_environ({"CELERY_BROKER_URL": "  ", "REDIS_URL": "redis://h:6379/0"}, tmp_path)
    assert broker.source == "REDIS_URL"


@pytest.mark.parametrize(
    ("url", "kind", "display"),
    [
        ("amqps://user:s3cret@rabbit.example.com/vhost", "rabbitmq", "rabbitmq at rabbit.example.com"),
        ("amqp://guest:guest@127.0.0.1:5672//", "rabbitmq", "rabbitmq at 127.0.0.1:5672"),
        ("rediss://:s3cret@redis.example.com:6380/0", "redis", "redis at redis.example.com:6380"),
        ("redis://h:s3cret@localhost:6379", "redis", "redis at localhost:6379"),
    ],
)
def test_display_names_kind_and_host_but_never_the_password(tmp_path, url, kind, display):
    broker = brokers.from_environ({"CELERY_BROKER_URL": url}, tmp_path)
    assert broker.kind == kind
    assert broker.display == display
    assert "s3cret" not in broker.display and "guest" not in broker.display


def test_an_unsupported_scheme_is_a_clear_configuration_error(tmp_path):
    with pytest.raises(ImproperlyConfigured, match=r"Unsupported broker URL scheme sqs://.*amqp://"):
        brokers.from_environ({"CELERY_BROKER_URL": "sqs://key@region"}, tmp_path)


def test_redis_visibility_timeout_outlasts_any_task_and_can_be_set(tmp_path):
    default = brokers.from_environ({"REDIS_URL": "redis://h:6379"}, tmp_path)
    assert default.transport_options["visibility_timeout"] == 7200
    broker = brokers.from_environ({"REDIS_URL": "redis://h:6379", "REDIS_VISIBILITY_TIMEOUT": "1800"}, tmp_path)
    assert broker.transport_options["visibility_timeout"] == 1800


def test_rabbitmq_gets_cloudamqps_advice_and_publisher_confirms(tmp_path):
    broker = brokers.from_environ({"CLOUDAMQP_URL": "amqps://u:p@host/vh"}, tmp_path)
    assert (broker.pool_limit, broker.heartbeat, broker.connection_timeout) == (1, None, 30)
    assert broker.transport_options == {"confirm_publish": True}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"REDIS_URL": "rediss://:p@h:6380"}, ssl.CERT_NONE),  # Heroku's self-signed certificate
        ({"REDISCLOUD_URL": "rediss://:p@h:6380"}, ssl.CERT_REQUIRED),
        ({"REDIS_URL": "rediss://:p@h:6380", "REDIS_SSL_CERT_REQS": "required"}, ssl.CERT_REQUIRED),
    ],
)
def test_rediss_certificate_checks(tmp_path, environ, expected):
    assert brokers.from_environ(environ, tmp_path).use_ssl == {"ssl_cert_reqs": expected}
    assert brokers.from_environ({"REDIS_URL": "redis://h:6379"}, tmp_path).use_ssl is None


@pytest.mark.parametrize("url", ["redis://h:6379", "amqp://u:p@h/vh"])
def test_celerys_other_tools_get_a_pool_that_concurrent_broadcasts_cannot_exhaust(tmp_path, url):
    # Flower's eight concurrent broadcasts each hold one pooled connection and wait for a second.
    assert brokers.from_environ({"CELERY_BROKER_URL": url}, tmp_path).monitor_pool_limit == 10
    environ = {"CELERY_BROKER_URL": url, "CELERY_MONITOR_POOL_LIMIT": "20"}
    assert brokers.from_environ(environ, tmp_path).monitor_pool_limit == 20
