from django import forms
from django.contrib.auth.forms import AuthenticationForm
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
