from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from accounts.forms import LoginForm
from iapt.api_urls import not_found as api_not_found

handler404 = api_not_found

urlpatterns = [
    path("", account_views.home, name="home"),
    path("health/", account_views.health, name="health"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include("patients.urls")),
    path("", include("sessions.urls")),
    path("", include("stepped_care.urls")),
    path("", include("appointments.urls")),
    path("supervision/", include("supervision.urls")),
    path("reports/", include("reports.urls")),
    path("api/", include("iapt.api_urls")),
]

handler500 = "iapt.views.server_error"
