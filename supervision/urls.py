from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("sessions/", views.session_start, name="session_start"),
    path("sessions/<int:session_id>/", views.session_detail, name="session"),
    path("sessions/<int:session_id>/cases/<uuid:referral_id>/", views.case_review, name="session_case"),
    path("cases/<uuid:referral_id>/review/", views.case_review, name="case_review"),
    path("cases/<uuid:referral_id>/request/", views.request_supervision, name="request"),
    path("clinical-skills/", views.clinical_skills, name="clinical_skills"),
    path("compliance/", views.compliance, name="compliance"),
    path("sessions/<int:session_id>/agenda/", views.agenda_change, name="agenda_change"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
    path("notifications/<int:notification_id>/", views.notification_open, name="notification_open"),
]
