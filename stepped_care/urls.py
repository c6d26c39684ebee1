from django.urls import path

from . import views

app_name = "stepped_care"

urlpatterns = [
    path("waiting-lists/", views.waiting_lists, name="waiting_lists"),
    path("step-changes/<int:change_id>/", views.step_change_outcome, name="step_change_outcome"),
    path("recently-moved/", views.recently_moved, name="recently_moved"),
    path("referrals/incoming/", views.incoming, name="incoming"),
    path("referrals/<uuid:referral_id>/allocate/", views.allocate, name="allocate"),
]
