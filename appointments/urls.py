from django.urls import path

from . import views

app_name = "appointments"

urlpatterns = [
    path("appointments/diary/", views.diary, name="diary"),
    path("appointments/diary/week/", views.diary_week, name="diary_week"),
    path("referrals/<uuid:referral_id>/appointments/new/", views.appointment_book, name="book"),
    path("appointments/<uuid:appointment_id>/", views.appointment_detail, name="detail"),
    path("appointments/<uuid:appointment_id>/session/", views.appointment_session, name="session"),
    path("appointments/<uuid:appointment_id>/outcome/", views.appointment_outcome, name="outcome"),
    path("appointments/<uuid:appointment_id>/cancel/", views.appointment_cancel, name="cancel"),
    path("appointments/<uuid:appointment_id>/rebook/", views.appointment_rebook, name="rebook"),
    path("appointments/<uuid:appointment_id>/letter/", views.appointment_letter, name="letter"),
    path("referrals/<uuid:referral_id>/discharge-letter/", views.discharge_letter, name="discharge_letter"),
    path("appointments/calendar/", views.calendar_settings, name="calendar"),
    path("calendar/<uuid:token>.ics", views.calendar_feed, name="calendar_feed"),
]
