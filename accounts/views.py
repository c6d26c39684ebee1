from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
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
