from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect

from .models import Role


def home(request):
    """Each role lands on the page it works from."""
    role = request.user.role
    targets = {
        Role.PWP: "sessions:caseload",
        Role.HIT: "sessions:caseload",
        Role.SUPERVISOR: "sessions:caseload",
        Role.SERVICE_MANAGER: "reports:service_report",
        Role.REFERRAL_ADMIN: "patients:referral_list",
    }
    if role == Role.SYSTEM_ADMIN:
        return redirect("admin:index")
    return redirect(targets.get(role, "patients:referral_list"))


@login_not_required
def health(request):
    """Liveness and readiness for the load balancer and compose health checks."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means not ready
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def api_tokens(request):
    """The user's own API tokens: issue one (its secret shown on this response
    only, never stored) or revoke one."""
    from django.core.exceptions import ValidationError
    from django.shortcuts import get_object_or_404, render

    from .models import ApiToken
    from .services import api_token_issue, api_token_revoke

    secret, error = None, None
    if request.method == "POST":
        if "revoke" in request.POST:
            raw = request.POST.get("revoke", "").strip()
            if not raw.isdigit() or len(raw) > 18:
                raise Http404
            token = get_object_or_404(ApiToken, pk=int(raw), user=request.user)
            api_token_revoke(token=token)
        else:
            name = request.POST.get("name", "")
            if "\x00" in name or len(name) > 100:
                error = "Give a name of up to 100 characters."
            else:
                try:
                    _, secret = api_token_issue(user=request.user, name=name)
                except ValidationError as exc:
                    error = " ".join(exc.messages)
    tokens = ApiToken.objects.filter(user=request.user)
    response = render(request, "accounts/api_tokens.html", {"tokens": tokens, "secret": secret, "error": error})
    response["Cache-Control"] = "no-store"  # the secret must not sit in a cache
    return response
