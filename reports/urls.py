from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.service_report, name="service_report"),
    path("export/", views.export, name="export"),
    path("exports/<uuid:job_id>/", views.export_job, name="export_job"),
    path("exports/<uuid:job_id>/status/", views.export_job_status, name="export_job_status"),
    path("exports/<uuid:job_id>/download/", views.export_job_download, name="export_job_download"),
    path("exports/<uuid:job_id>/retry/", views.export_job_retry, name="export_job_retry"),
]
