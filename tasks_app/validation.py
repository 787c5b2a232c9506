"""What a person may send, checked in one place: the input error every layer raises, the limits,
and the checks of JSON values and one-line texts.

The form, the API and the CLI refuse the same input with the same words because they all call
these. Nothing here imports a task, a model or the HTTP client: a module that only needs to raise
an input error imports this one.
"""

from __future__ import annotations

import json
import math
import reprlib

from tasks_app.errors import UserError


class TaskInputError(UserError, ValueError):
    """Input that cannot become a task; `field` names the part at fault."""

    def __init__(self, message: str, field: str | None = "task"):
        super().__init__(message, field)


# --- Limits on what a person may send -------------------------------------------------------
# One place for them, so the form, the API and the CLI refuse the same input with the same words.

MAX_BODY_BYTES = 256 * 1024  # a whole API request body
MAX_ARGUMENTS_BYTES = 64 * 1024  # args, and kwargs, each serialized as JSON (UTF-8)
MAX_JSON_DEPTH = 20  # lists and objects inside one another
MAX_TEXT_CHARS = 200  # a task name, queue, schedule line or periodic task's name
MIN_INTEGER, MAX_INTEGER = -(2**63), 2**63 - 1  # what a 64-bit integer holds

# The C0 control characters by their usual abbreviations; tab and newline are allowed.
_C0_NAMES = (
    *("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI"),
    *("DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"),
)
ALLOWED_CONTROLS = frozenset("\t\n")

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60
_short.maxlevel = 3


def short_repr(value) -> str:
    """repr() for messages: cut short, so that a huge or deeply nested value cannot flood an error."""
    return _short.repr(value)


def in_words(items) -> str:
    """`a, b or c`: names as a message, a help text or a page lists them."""
    items = [str(item) for item in items]
    return f"{', '.join(items[:-1])} or {items[-1]}" if len(items) > 1 else "".join(items)


def _bad_character(text: str) -> tuple[int, str] | None:
    """The first character a person may not send (a control other than tab and newline, or half
    of a surrogate pair, which no UTF-8 page or database can store): its position and its name."""
    for position, char in enumerate(text):
        code = ord(char)
        if code < 0x20 and char not in ALLOWED_CONTROLS:
            return position, f"the control character U+{code:04X} ({_C0_NAMES[code]})"
        if 0xD800 <= code <= 0xDFFF:
            return position, f"the unpaired surrogate U+{code:04X}, which is not valid Unicode"
    return None


def check_text(value: str, field: str, subject: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Refuse one line of text (task, queue, schedule, name) that holds control characters or is too long."""
    if len(value) > max_chars:
        raise TaskInputError(f"{subject} has {len(value)} characters; the limit is {max_chars}.", field=field)
    bad = _bad_character(value)
    if bad:
        position, what = bad
        raise TaskInputError(
            f"{subject} contains {what} at position {position}; only printable characters are allowed.",
            field=field,
        )
    return value


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str):
    raise _NotJson(f"{name} is not a number JSON allows; numbers must be finite")


def parse_json(text: str | bytes, field: str | None, subject: str = "This"):
    """JSON text from a person, parsed strictly: NaN and Infinity, which Python's json accepts but
    JSON does not, are refused, and nesting deep enough to exhaust the parser is an error, not a crash.
    Values still go through `check_json_value` (depth, size, characters, numbers) where they are used."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise TaskInputError(
            f"{subject} nests lists or objects deeper than {MAX_JSON_DEPTH} levels; the limit is {MAX_JSON_DEPTH}.",
            field=field,
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:  # _NotJson and JSONDecodeError are ValueErrors
        raise TaskInputError(f"{subject} is not valid JSON ({exc}).", field=field) from None


def _path(path: str, key) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}[{json.dumps(key)}]"


def _check_value(value, field: str, subject: str, path: str, depth: int) -> None:
    """Refuse what JSON consumers cannot read, anywhere in `value`; `path` says where (`args[2]`)."""
    where = f" at {path}" if path != field else ""
    if isinstance(value, str):
        _check_string(value, field, subject, where)
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int | float):
        _check_number(value, field, subject, where)
    elif isinstance(value, list | dict):
        if depth >= MAX_JSON_DEPTH:
            raise TaskInputError(
                f"{subject} nest lists or objects deeper than {MAX_JSON_DEPTH} levels{where}; "
                f"the limit is {MAX_JSON_DEPTH}.",
                field=field,
            )
        for key_path, item in _items(value, field, subject, path, where):
            _check_value(item, field, subject, key_path, depth + 1)
    else:
        raise TaskInputError(f"{subject} contain {type(value).__name__}{where}, which is not a JSON value.", field)


def _check_string(value: str, field: str, subject: str, where: str) -> None:
    bad = _bad_character(value)
    if bad:
        position, what = bad
        raise TaskInputError(
            f"{subject} contain {what}{where} (character {position} of the string); strings may hold "
            "tab and newline, but no other control character and no unpaired surrogate.",
            field=field,
        )


def _check_number(value: int | float, field: str, subject: str, where: str) -> None:
    if isinstance(value, int) and not MIN_INTEGER <= value <= MAX_INTEGER:
        raise TaskInputError(
            f"{subject} contain a number{where} too large for 64 bits ({short_repr(value)}); "
            f"whole numbers must be from {MIN_INTEGER} to {MAX_INTEGER}.",
            field=field,
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise TaskInputError(
            f"{subject} contain {value}{where}; numbers must be finite (a number too large for a "
            "64-bit float becomes infinity).",
            field=field,
        )


def _items(value: list | dict, field: str, subject: str, path: str, where: str):
    """The (path, value) pairs inside a list or object, an object's keys among them (checked as strings)."""
    if isinstance(value, list):
        yield from ((_path(path, index), item) for index, item in enumerate(value))
        return
    for key, item in value.items():
        if not isinstance(key, str):
            raise TaskInputError(f"{subject} have a key that is not text{where}: {short_repr(key)}.", field)
        yield f"the key {short_repr(key)} of {path}", key
        yield _path(path, key), item


def check_json_value(value, field: str, subject: str | None = None):
    """Refuse a JSON value (args or kwargs) that is too deep, too large, holds control characters
    or numbers that JSON consumers cannot read; return it unchanged. `Entry.bind` calls this."""
    subject = subject or field.capitalize()
    _check_value(value, field, subject, field, 0)
    size = len(json.dumps(value, ensure_ascii=False).encode())
    if size > MAX_ARGUMENTS_BYTES:
        raise TaskInputError(
            f"{subject} take {size} bytes as JSON; the limit is {MAX_ARGUMENTS_BYTES} bytes "
            f"({MAX_ARGUMENTS_BYTES // 1024} KiB).",
            field=field,
        )
    return value
