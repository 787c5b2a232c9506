"""The normaliser of error messages: failures of one cause read alike, failures of two causes do not."""

import json

import pytest

from tasks_app.selectors.failure_messages import MAX_CHARS, normalise
from tasks_app.selectors.failures import UNKNOWN, exception_of, group_id


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("timeout after 3.2 s fetching http://x/1", "timeout after 4.1 s fetching http://x/2"),
        (
            "Could not fetch http://127.0.0.1:40123/: ConnectionRefusedError: [Errno 111] Connection refused",
            "Could not fetch http://127.0.0.1:40999/: ConnectionRefusedError: [Errno 111] Connection refused",
        ),
        ("job 550e8400-e29b-41d4-a716-446655440000 failed", "job 123e4567-e89b-12d3-a456-426614174000 failed"),
        ("object at 0x7f3a2b10 is gone", "object at 0x7f00aa99 is gone"),
        ("commit 9fceb02d0ae598e95dc970b74767f19372d61af8 missing", "commit 1a2b3c4d5e6f7a8b9c0d missing"),
        ("Unknown user 'alice'", 'Unknown user "bob"'.replace('"', "'")),
        (
            "https://api.example.com/users/42/orders?page=3&sort=asc",
            "https://api.example.com/users/7/orders?page=9&sort=desc",
        ),
        ("  spaces\tand\nnewlines  ", "spaces and newlines"),
    ],
)
def test_one_cause_normalises_to_one_text(first, second):
    assert normalise(first) == normalise(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Connection refused", "Connection reset"),
        ("fetching http://x/1", "fetching http://y/1"),  # the host is the cause, not a variable part
        ("https://x/users/1", "https://x/orders/1"),
    ],
)
def test_two_causes_stay_apart(first, second):
    assert normalise(first) != normalise(second)


def test_the_text_still_reads_as_the_error():
    assert normalise("timeout after 3.2 s fetching http://x/1") == "timeout after <n> s fetching http://x/<id>"
    assert normalise("Refused http://10.0.0.1:8080/a?b=1") == "Refused http://<ip>:<port>/a?b=<value>"
    assert normalise("don't stop, utf8 v2") == "don't stop, utf8 v2"  # apostrophes and words with digits stay
    assert normalise("") == "" and normalise(None) == ""


def test_a_long_message_is_cut():
    assert len(normalise("word " * 1000)) == MAX_CHARS


def test_the_exception_and_message_of_a_stored_error():
    stored = {"exc_type": "NetworkError", "exc_module": "tasks_app.lib.safe_http", "exc_message": ["a", 2]}
    assert exception_of(json.dumps(stored)) == ("tasks_app.lib.safe_http.NetworkError", "a, 2")
    builtin = {"exc_type": "ValueError", "exc_module": "builtins", "exc_message": "bad"}
    assert exception_of(json.dumps(builtin)) == ("ValueError", "bad")
    assert exception_of("not json") == (UNKNOWN, "not json")
    assert exception_of(None) == (UNKNOWN, "")


def test_a_group_id_is_a_stable_hash_of_the_key():
    assert group_id("t", "E", "m") == group_id("t", "E", "m")
    assert (
        len({group_id("t", "E", "m"), group_id("t", "E", "n"), group_id("u", "E", "m"), group_id("t", "F", "m")}) == 4
    )
    assert group_id("a", "b", "c") != group_id("a b", "", "c")
