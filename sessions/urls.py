from django.urls import path

from . import views

app_name = "sessions"

urlpatterns = [
    path("referrals/<uuid:referral_id>/record/", views.referral_record, name="record"),
    path("referrals/<uuid:referral_id>/sessions/new/", views.session_create, name="session_create"),
    path("referrals/<uuid:referral_id>/assessment/", views.assessment_create, name="assessment_create"),
    path("referrals/<uuid:referral_id>/step/", views.step_propose, name="step_propose"),
    path("referrals/<uuid:referral_id>/risk/", views.risk_event_create, name="risk_create"),
    path("referrals/<uuid:referral_id>/amend/", views.amendment_create, name="amend"),
    # The form's draft (sessions/drafts.py): one pair per form, no free-text segment in a URL.
    *(
        path(f"referrals/<uuid:referral_id>/drafts/{kind}/", views.draft_save, {"kind": kind}, name="draft_save")
        for kind in ("session", "assessment")
    ),
    *(
        path(
            f"referrals/<uuid:referral_id>/drafts/{kind}/discard/",
            views.draft_discard,
            {"kind": kind},
            name="draft_discard",
        )
        for kind in ("session", "assessment")
    ),
]
