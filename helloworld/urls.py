from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from tasks_app.forms import AdminLoginForm, LoginForm

admin.site.login_form = AdminLoginForm  # throttled, as the site's own login (tasks_app.login_throttle)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Browsers and tools ask for /favicon.ico whatever the page links: send them to the icon
    # rather than a 404 (and a logged warning) on every page view.
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static("favicon.svg"))),
    path("", include("tasks_app.urls")),
]

# A database that is busy or unreachable is a 503 (JSON for API endpoints), not a 500: tasks_app.views.errors.
handler500 = "tasks_app.views.errors.server_error"
