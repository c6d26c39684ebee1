from django.urls import path

from . import views

app_name = "patients"

urlpatterns = [
    path("referrals/", views.referral_list, name="referral_list"),
    path("referrals/register/", views.register, name="register"),
    path("patients/search/", views.patient_search, name="search"),
    path("patients/<uuid:patient_id>/", views.patient_detail, name="detail"),
    path("patients/<uuid:patient_id>/edit/", views.patient_edit, name="edit"),
    path("referrals/<uuid:referral_id>/edit/", views.referral_edit, name="referral_edit"),
]
