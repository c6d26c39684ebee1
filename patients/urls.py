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
    path(
        "referrals/<uuid:referral_id>/presenting-problems/",
        views.presenting_problem_add,
        name="presenting_problem_add",
    ),
    path(
        "referrals/<uuid:referral_id>/presenting-problems/<int:problem_id>/remove/",
        views.presenting_problem_remove,
        name="presenting_problem_remove",
    ),
]
