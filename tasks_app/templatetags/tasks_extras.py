"""The site's template filters: `{% load tasks_extras %}`.

- `{{ moment|when }}`: a time in the site's zone, with the zone named; a dash for none.
- `{{ seconds|duration }}`: a span of time as a person reads it (45 s, 3 min 5 s, 2 h 10 min).
- `{{ text|json_text }}`: stored JSON text (a periodic task's args) with its letters as written,
  `"café"` rather than the `"caf\\u00e9"` that json.dumps stored; text that is not JSON as it is.
- `{{ name|short_queue }}`: a site queue by its short name (`default`), the one spelling shown.
- `{{ moment|clock }}`, `|exact_when`, `|exact_iso`: a timeline's time of day (to the millisecond), the
  full time for hovering, and the machine-readable one for `<time datetime>`.
"""

import json

from django import template
from django.utils import timezone

from tasks_app import catalog

register = template.Library()

WHEN_FORMAT = "%Y-%m-%d %H:%M:%S"


@register.filter
def when(moment):
    if not moment:
        return "—"
    local = timezone.localtime(moment)
    return f"{local.strftime(WHEN_FORMAT)} {timezone.get_current_timezone_name()}"


@register.filter
def duration(seconds):
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days {hours % 24} h"


@register.filter
def clock(moment):
    return timezone.localtime(moment).strftime("%H:%M:%S.%f")[:-3] if moment else "—"


@register.filter
def exact_when(moment):
    if not moment:
        return ""
    local = timezone.localtime(moment)
    return f"{local.strftime('%Y-%m-%d %H:%M:%S.%f')} {timezone.get_current_timezone_name()}"


@register.filter
def exact_iso(moment):
    return timezone.localtime(moment).isoformat() if moment else ""


@register.filter
def json_text(text):
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except (TypeError, ValueError):
        return text


@register.filter
def short_queue(broker_name):
    return catalog.short_queue(broker_name) if broker_name else broker_name
