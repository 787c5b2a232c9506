from django.conf import settings


def site(request):
    """Facts every page footer shows: which broker, which time zone, which mode."""
    return {
        "broker_display": settings.BROKER.display,
        "site_time_zone": settings.TIME_ZONE,
        "local_mode": settings.LOCAL_MODE,
    }
