from django.conf import settings

from tasks_app import access


def site(request):
    """Facts every page footer shows: which broker, which time zone, which mode. The broker's host and
    port for staff (and local mode) only; other users see its kind."""
    user = getattr(request, "user", None)
    staff = user is not None and access.is_open(user)
    return {
        "broker_display": settings.BROKER.display if staff else settings.BROKER.kind,
        "site_time_zone": settings.TIME_ZONE,
        "local_mode": settings.LOCAL_MODE,
    }
