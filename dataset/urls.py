from django.urls import path

from . import views

app_name = "dataset"

urlpatterns = [
    path("", views.extract_list, name="extracts"),
    path("<uuid:extract_id>/", views.extract_detail, name="extract"),
    path("<uuid:extract_id>/download/", views.extract_download, name="download"),
]
