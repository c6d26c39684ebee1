from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from accounts.models import Role
from core.forms import apply_validation_error
from patients import selectors as patient_selectors
from patients.selectors import audit_list
from patients.services import referral_allocate

from . import decision_support
from .selectors import (
    MOVED_DAYS,
    incoming_referrals_for_user,
    practitioners_for_allocation,
    recently_moved_for_user,
    step_change_outcome_for_user,
    waiting_lists_for_user,
)

ALLOCATING_ROLES = (Role.REFERRAL_ADMIN, Role.SERVICE_MANAGER, Role.SUPERVISOR)


def waiting_lists(request):
    lists = waiting_lists_for_user(user=request.user)
    audit_list(user=request.user, object_type="waiting_list", rows=[r for wl in lists for r in wl.rows])
    return render(
        request,
        "stepped_care/waiting_lists.html",
        {"lists": lists, "can_allocate": request.user.role in ALLOCATING_ROLES},
    )


def step_change_outcome(request, change_id):
    """Where the case went after a step change or discharge (issue 16 item 6)."""
    change = step_change_outcome_for_user(user=request.user, change_id=change_id)
    next_url = request.GET.get("next", "")
    if not next_url.startswith("/supervision/") or "//" in next_url:
        next_url = ""  # only a supervision page of this site: no open redirect
    return render(request, "stepped_care/step_change_outcome.html", {"change": change, "next_url": next_url})


def recently_moved(request):
    rows = recently_moved_for_user(user=request.user)
    audit_list(user=request.user, object_type="recently_moved", rows=rows)
    return render(request, "stepped_care/recently_moved.html", {"rows": rows, "days": MOVED_DAYS})


def incoming(request):
    """Incoming referrals (issue 15): open and unallocated, oldest first, with the wait."""
    if request.user.role not in ALLOCATING_ROLES:
        raise Http404
    rows = incoming_referrals_for_user(user=request.user)
    audit_list(user=request.user, object_type="incoming_referrals", rows=rows)
    return render(request, "stepped_care/incoming.html", {"rows": rows})


class AllocationForm(forms.Form):
    practitioner = forms.TypedChoiceField(label="Practitioner", widget=forms.RadioSelect, coerce=int)
    step = forms.TypedChoiceField(
        label="Step",
        choices=[
            (2, "Step 2: low intensity"),
            (3, "Step 3: high intensity"),
            (1, "Step 1: signpost / watchful waiting"),
        ],
        coerce=int,
    )

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].choices = [(c.user.pk, str(c.user)) for c in practitioners]


def allocate(request, referral_id):
    """Allocates a referral to a practitioner at a step, through the same
    service as the API (patients.services.referral_allocate); a refusal (ended,
    an exclusion without override, another service) is shown beside its field."""
    if request.user.role not in ALLOCATING_ROLES:
        raise Http404
    referral = patient_selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
    practitioners = practitioners_for_allocation(user=request.user)
    suggestion = decision_support.suggest(problem_descriptor=referral.problem_descriptor or "")
    form = AllocationForm(
        request.POST or None,
        practitioners=practitioners,
        initial={"step": referral.current_step or suggestion.step},
    )
    if request.method == "POST" and form.is_valid():
        chosen = next(c.user for c in practitioners if c.user.pk == form.cleaned_data["practitioner"])
        try:
            referral_allocate(user=request.user, referral=referral, practitioner=chosen, step=form.cleaned_data["step"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"Allocated to {chosen} at step {form.cleaned_data['step']}.")
            return redirect("stepped_care:incoming")
    error_links = []
    if form.errors:
        first = f"id_practitioner_{practitioners[0].user.pk}" if practitioners else "allocate-form"
        for name, anchor in (("practitioner", first), ("step", "id_step")):
            error_links += [(anchor, message) for message in form.errors.get(name, [])]
    return render(
        request,
        "stepped_care/allocate.html",
        {
            "form": form,
            "referral": referral,
            "patient": referral.patient,
            "practitioners": practitioners,
            "suggestion": suggestion,
            "chosen": str(form["practitioner"].value() or ""),
            "error_links": error_links,
        },
    )
