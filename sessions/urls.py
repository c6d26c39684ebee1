from django.urls import path

from . import views

app_name = "sessions"

urlpatterns = [
    path("caseload/", views.caseload, name="caseload"),
    path("referrals/<uuid:referral_id>/record/", views.referral_record, name="record"),
    path("referrals/<uuid:referral_id>/sessions/new/", views.session_create, name="session_create"),
    path("referrals/<uuid:referral_id>/assessment/", views.assessment_create, name="assessment_create"),
    path("referrals/<uuid:referral_id>/step/", views.step_propose, name="step_propose"),
    path("referrals/<uuid:referral_id>/risk/", views.risk_event_create, name="risk_create"),
    path("referrals/<uuid:referral_id>/amend/", views.amendment_create, name="amend"),
    path("referrals/<uuid:referral_id>/drafts/<str:kind>/", views.draft_save, name="draft_save"),
    path("referrals/<uuid:referral_id>/drafts/<str:kind>/discard/", views.draft_discard, name="draft_discard"),
]
