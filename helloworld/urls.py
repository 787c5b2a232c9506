from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tasks_app.forms import AdminLoginForm, LoginForm

admin.site.login_form = AdminLoginForm  # throttled, as the site's own login (tasks_app.login_throttle)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("tasks_app.urls")),
]
