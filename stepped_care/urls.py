from django.urls import path

from . import views

app_name = "stepped_care"

urlpatterns = [
    path("waiting-lists/", views.waiting_lists, name="waiting_lists"),
    path("referrals/incoming/", views.incoming, name="incoming"),
    path("referrals/<uuid:referral_id>/allocate/", views.allocate, name="allocate"),
]
