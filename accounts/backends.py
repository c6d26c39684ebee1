from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every log-in made over the web.

    Every web log-in (the login view, the admin, DRF's basic authentication)
    passes its request, and is checked. A call with no request is code running
    in-process (the test client's login(), a shell): there is no address to lock
    and nothing to brute-force, so it goes straight to the password check
    instead of failing as axes would."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
