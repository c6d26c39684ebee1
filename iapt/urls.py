from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from accounts.forms import LoginForm
from iapt.api_urls import not_found as api_not_found
from patients import views as patient_views
from sessions.urls import urlpatterns as sessions_urlpatterns
from supervision.caseload_views import caseload

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
    # The patient's access page reads the audit log (accounts) for a record (patients): patients' floor.
    path("patients/<uuid:patient_id>/access-log/", patient_views.record_access, name="record_access"),
    path("admin/", admin.site.urls),
    path("", include("patients.urls")),
    # My caseload joins sessions, stepped care and supervision, so its page lives on
    # the supervision floor; it keeps its address in the "sessions" namespace.
    path("", include(([path("caseload/", caseload, name="caseload"), *sessions_urlpatterns], "sessions"))),
    path("", include("stepped_care.urls")),
    path("", include("appointments.urls")),
    path("supervision/", include("supervision.urls")),
    path("reports/", include("reports.urls")),
    path("dataset/", include("dataset.urls")),
    path("api/", include("iapt.api_urls")),
    path("", include("core.public")),
    path("", include("questionnaires.views")),
    # Self-referral (issue 20): the public form, and incoming self-referrals for staff.
    path("self-referral/", include("selfreferral.public_views")),
    path("", include("selfreferral.views")),
]

handler500 = "iapt.views.server_error"
