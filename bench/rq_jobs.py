"""The RQ contender's job: the site's `echo` body, as a plain function RQ can import."""


def echo(value):
    """Return the value it was given, unchanged (the site's echo)."""
    return value
