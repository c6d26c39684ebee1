"""The REST API: /api/v1/ for the record, /api/schema/ for the OpenAPI 3
schema, /api/docs/ for Swagger UI served from our own static files.

Every API view authenticates itself (token or session), so the site's
LoginRequiredMiddleware, which would redirect to the login page, is told to
let them through; DRF answers 401/403 instead."""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from patients.api import PatientViewSet, PractitionerViewSet, ReferralViewSet
from reports.api import ExportJobViewSet, ServiceReportView
from sessions.api import RiskEventViewSet, TherapySessionViewSet
from stepped_care.api import StepChangeViewSet
from supervision.api import CaseReviewViewSet, FlagViewSet

router = SimpleRouter(trailing_slash=True)
router.register("patients", PatientViewSet, basename="patient")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("sessions", TherapySessionViewSet, basename="session")
router.register("risk-events", RiskEventViewSet, basename="risk-event")
router.register("step-changes", StepChangeViewSet, basename="step-change")
router.register("flags", FlagViewSet, basename="flag")
router.register("reviews", CaseReviewViewSet, basename="review")
router.register("exports", ExportJobViewSet, basename="export")
router.register("practitioners", PractitionerViewSet, basename="practitioner")

v1 = [*router.urls, path("reports/service/", ServiceReportView.as_view(), name="service-report")]
for pattern in v1:
    login_not_required(pattern.callback)

app_name = "api"
urlpatterns = [
    path("v1/", include(v1)),
    # The schema and its docs hold no patient data: public, so integrators can read them.
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    path("docs/", login_not_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
]


def not_found(request, exception):
    """404 as JSON under /api/ (a client reads it as it reads every other
    error), the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
