from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    """Django's log-in form, with the username's length enforced before any
    authentication: AuthenticationForm sets max_length after the field is built,
    so no validator checks it, and an over-long name reached the lockout log
    (django-axes stores it in a 255-character column) as a 500."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].validators.append(MaxLengthValidator(self.fields["username"].max_length))


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Six-digit code from your authenticator app",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_token(self):
        token = self.cleaned_data["token"].strip()
        if not token.isascii() or not token.isdigit():
            raise forms.ValidationError("Enter the six digits your authenticator app shows.")
        return token


class LockoutPasswordChangeForm(PasswordChangeForm):
    """Django's password change, with the current password checked through
    authenticate() and so through django-axes: a wrong current password counts
    toward the same lockout (username and address) as a failed log-in, and a
    locked pair is refused here too (issue 13, finding 7)."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        checked = authenticate(self.request, username=self.user.get_username(), password=old_password)
        if checked is None or checked.pk != self.user.pk:
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password
