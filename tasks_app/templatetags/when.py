"""`{{ moment|when }}`: a time in the site's zone, with the zone named; a dash for none."""

from django import template
from django.utils import timezone

register = template.Library()

FORMAT = "%Y-%m-%d %H:%M:%S"


@register.filter
def when(moment):
    if not moment:
        return "—"
    local = timezone.localtime(moment)
    return f"{local.strftime(FORMAT)} {timezone.get_current_timezone_name()}"
