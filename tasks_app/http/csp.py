"""Content-Security-Policy on every response: scripts, styles, fonts and connections from this site only,
so that markup an attacker slips into a page (a task's result, a periodic task's name) cannot run.

The site's own pages satisfy it: every script and style is a static file (no inline <script>, no
style="" attributes, no event handler attributes), and the API explorer's Swagger UI is served from
this site's static files too. Images may also be data: URIs, which Swagger UI's stylesheet uses for
its icons. frame-ancestors repeats X-Frame-Options: DENY for browsers that read only CSP.

Why a middleware of a few lines and not django-csp: one fixed header needs no dependency, settings or
nonces; Django 6.0 has its own (django.middleware.csp with SECURE_CSP), which can replace this when the
site leaves 5.2. A response that already has a policy keeps it. With DEBUG on (make run), Django's own
error pages (the technical 404 and 500, all inline styles and scripts) go without it, so that they
stay readable; production never shows them.
"""

from __future__ import annotations

from django.conf import settings

POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not (settings.DEBUG and response.status_code in (404, 500)):
            response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
