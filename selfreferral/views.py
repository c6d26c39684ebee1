"""Incoming self-referrals for staff (issue 20 item 2): the list (urgent first,
then oldest), one self-referral with its match, and the decisions (accept as
new, merge into the matched patient, reject with a reason). Every decision
posts a one-time form token (core/once.py), so a double click decides once."""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse

from core.once import submit_once

from . import selectors, services
from .codes import RejectReason, Status
from .forms import RISK_QUESTIONS


class AcceptForm(forms.Form):
    nhs_number = forms.CharField(
        label="NHS number (the person gave none: find it and enter it)", max_length=14, required=False
    )


class MergeForm(forms.Form):
    patient = forms.UUIDField(widget=forms.HiddenInput)


class RejectForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "Choose…"), *RejectReason.choices])
    tell_person = forms.BooleanField(
        required=False, initial=True, label="Send the person a message (by their consented text or email)"
    )


def incoming(request):
    """GET: the waiting self-referrals, urgent first then oldest, with their match."""
    rows = selectors.incoming_for_user(user=request.user)
    return render(
        request,
        "selfreferral/incoming.html",
        {"rows": rows, "can_decide": request.user.role in services.DECIDING_ROLES},
    )


def detail(request, self_referral_id):
    row = selectors.self_referral_get_for_user(user=request.user, self_referral_id=self_referral_id)
    return _render_detail(request, row)


def _render_detail(request, row, **forms_given):
    risk = [(text, row.risk_answers.get(key)) for key, text in RISK_QUESTIONS.items()]
    return render(
        request,
        "selfreferral/detail.html",
        {
            "row": row,
            "risk": risk,
            "can_decide": request.user.role in services.DECIDING_ROLES and row.status == Status.NEW,
            "accept_form": forms_given.get("accept_form") or AcceptForm(),
            "merge_form": forms_given.get("merge_form")
            or (MergeForm(initial={"patient": row.match.patient.pk}) if row.match else None),
            "reject_form": forms_given.get("reject_form") or RejectForm(),
        },
    )


def _decision(request, self_referral_id, *, form_class, form_key, save, success):
    if request.method != "POST" or request.user.role not in services.DECIDING_ROLES:
        raise Http404
    row = selectors.self_referral_get_for_user(user=request.user, self_referral_id=self_referral_id)
    form = form_class(request.POST)
    done = submit_once(request, form, save=lambda: save(form, row), success=success)
    if done is not None:
        return done
    row.refresh_from_db()
    return _render_detail(request, row, **{form_key: form})


def accept(request, self_referral_id):
    def save(form, row):
        decided = services.self_referral_accept(
            user=request.user, self_referral_id=row.pk, nhs_number=form.cleaned_data["nhs_number"]
        )
        return reverse("patients:detail", args=[decided.patient_id])

    return _decision(
        request,
        self_referral_id,
        form_class=AcceptForm,
        form_key="accept_form",
        save=save,
        success="Accepted: the patient and their self-referral are registered.",
    )


def merge(request, self_referral_id):
    def save(form, row):
        decided = services.self_referral_merge(
            user=request.user, self_referral_id=row.pk, patient_id=form.cleaned_data["patient"]
        )
        return reverse("patients:detail", args=[decided.patient_id])

    return _decision(
        request,
        self_referral_id,
        form_class=MergeForm,
        form_key="merge_form",
        save=save,
        success="Added to the existing patient as a new self-referral.",
    )


def reject(request, self_referral_id):
    def save(form, row):
        services.self_referral_reject(
            user=request.user,
            self_referral_id=row.pk,
            reason=form.cleaned_data["reason"],
            tell_person=form.cleaned_data["tell_person"],
        )
        return reverse("selfreferral_staff:incoming")

    return _decision(
        request,
        self_referral_id,
        form_class=RejectForm,
        form_key="reject_form",
        save=save,
        success="Self-referral rejected.",
    )


app_name = "selfreferral_staff"
urlpatterns = [
    path("referrals/incoming/self/", incoming, name="incoming"),
    path("referrals/incoming/self/<uuid:self_referral_id>/", detail, name="detail"),
    path("referrals/incoming/self/<uuid:self_referral_id>/accept/", accept, name="accept"),
    path("referrals/incoming/self/<uuid:self_referral_id>/merge/", merge, name="merge"),
    path("referrals/incoming/self/<uuid:self_referral_id>/reject/", reject, name="reject"),
]
