from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .middleware import otp_exempt

urlpatterns = [
    path("logout/", otp_exempt(auth_views.LogoutView.as_view()), name="logout"),
    path("account/two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("account/alive/", views.alive, name="alive"),
    path("account/api-tokens/", views.api_tokens, name="api_tokens"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/password/set/<uidb64>/<token>/", otp_exempt(views.PasswordSetView.as_view()), name="password_set"),
    path("staff-changes/", views.staff_changes, name="staff_changes"),
]
