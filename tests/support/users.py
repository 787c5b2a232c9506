"""The people of the tests: alice and bob, two users, and sam, staff. tests/conftest.py makes them
(the fixtures `alice`, `bob`, `staff`); a test logs each in on a client of its own."""

from django.contrib.auth import get_user_model
from django.test import Client

PASSWORD = "a long enough password 1"


def make_user(name: str, staff: bool = False):
    return get_user_model().objects.create_user(name, password=PASSWORD, is_staff=staff)


def logged_in(user, **client_options) -> Client:
    """A client of its own with `user` logged in: a test of who may do what holds several at once."""
    client = Client(**client_options)
    client.force_login(user)
    return client
