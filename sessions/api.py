"""Sessions with their measures, and risk events, over the API. Items go in;
totals, bands and caseness come out, computed by the server (sessions/measures.py)
through the same service as the session form."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.fields import NationalCodeField, OffsetDateTimeField
from patients.api import VisibleReferralField
from patients.api_views import ReadCreateViewSet
from stepped_care.decision_support import STEP2_INTERVENTIONS, STEP3_INTERVENTIONS

from . import measures, selectors, services
from .codes import APPOINTMENT_TYPES, ATTENDANCE, CONSULTATION_MEDIUM, RISK_LEVELS, THERAPY_TYPE_CHOICES
from .models import MeasureScore, RiskAssessment, TherapySession

RISK_LEVEL_CHOICES = list(RISK_LEVELS.items())
INTERVENTIONS = sorted({code for code, _ in STEP2_INTERVENTIONS} | {code for code, _ in STEP3_INTERVENTIONS})
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Up to 100 printable characters, unique per request. A retry with the same key creates no second "
        "session: it answers with the first response."
    ),
)


class MeasureInSerializer(serializers.Serializer):
    instrument = serializers.ChoiceField(choices=sorted(measures.INSTRUMENTS))
    items = serializers.ListField(
        child=serializers.IntegerField(allow_null=True, min_value=-1000, max_value=1000),
        max_length=50,
        help_text="Item answers in order; null for an unanswered item (the measure is then incomplete).",
    )
    not_in_work = serializers.BooleanField(
        required=False,
        default=False,
        help_text="WSAS only: item 1 (work) is 'not applicable: not in work'; send it as null. "
        "The total is then of items 2-5, out of 32.",
    )

    def validate(self, attrs):
        if attrs.get("not_in_work"):
            if attrs["instrument"] != "WSAS":
                raise serializers.ValidationError({"not_in_work": "Only WSAS item 1 may be 'not in work'."})
            if not attrs["items"] or attrs["items"][0] is not None:
                raise serializers.ValidationError({"items": "With not_in_work, send WSAS item 1 as null."})
            attrs["items"] = [measures.NOT_IN_WORK, *attrs["items"][1:]]
        return attrs


class MeasureOutSerializer(serializers.ModelSerializer):
    out_of = serializers.FloatField(
        read_only=True, allow_null=True, help_text="The most the total can be (WSAS: 40, or 32 when not in work)."
    )

    class Meta:
        model = MeasureScore
        fields = [
            "instrument",
            "items",
            "total",
            "out_of",
            "not_in_work",
            "band",
            "caseness",
            "complete",
            "reference_version",
        ]
        read_only_fields = fields


class RiskInSerializer(serializers.Serializer):
    risk_to_self = serializers.ChoiceField(choices=RISK_LEVEL_CHOICES)
    risk_to_others = serializers.ChoiceField(choices=RISK_LEVEL_CHOICES)
    risk_from_others = serializers.ChoiceField(choices=RISK_LEVEL_CHOICES)
    level = serializers.ChoiceField(choices=RISK_LEVEL_CHOICES)
    plan = serializers.CharField(max_length=10000)
    actions = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")


class TherapySessionSerializer(serializers.ModelSerializer):
    referral = VisibleReferralField()
    started_at = OffsetDateTimeField(help_text="ISO 8601 with its UTC offset, e.g. 2026-06-01T14:30:00+01:00.")
    appointment_type = NationalCodeField(list_name="appointment type", choices=list(APPOINTMENT_TYPES.items()))
    attendance = NationalCodeField(list_name="attendance (AttendOrDNACode)", choices=list(ATTENDANCE.items()))
    medium = NationalCodeField(
        list_name="consultation mechanism (ConsMechanismMH)", choices=list(CONSULTATION_MEDIUM.items())
    )
    duration_minutes = serializers.IntegerField(min_value=0, max_value=240, required=False, allow_null=True)
    interventions = serializers.ListField(child=serializers.ChoiceField(choices=INTERVENTIONS), required=False)
    therapy_type = NationalCodeField(
        list_name="therapy type (SNOMED CT procedure)",
        choices=THERAPY_TYPE_CHOICES,
        required=False,
        allow_blank=True,
        help_text="IDS202 therapy type (SNOMED CT procedure code); blank: the first intervention's default.",
    )
    appointment_type_label = serializers.CharField(source="get_appointment_type_display", read_only=True)
    attendance_label = serializers.CharField(source="get_attendance_display", read_only=True)
    medium_label = serializers.CharField(source="get_medium_display", read_only=True)
    therapy_type_label = serializers.CharField(source="get_therapy_type_display", read_only=True)
    notes = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    risk_recorded = serializers.BooleanField(required=False, default=False)
    measures = MeasureInSerializer(many=True, required=False, write_only=True)
    risk = RiskInSerializer(required=False, write_only=True, allow_null=True)
    scores = MeasureOutSerializer(source="measures", many=True, read_only=True)

    class Meta:
        model = TherapySession
        fields = [
            "id",
            "referral",
            "practitioner",
            "started_at",
            "appointment_type",
            "attendance",
            "medium",
            "duration_minutes",
            "interventions",
            "therapy_type",
            "appointment_type_label",
            "attendance_label",
            "medium_label",
            "therapy_type_label",
            "notes",
            "step",
            "risk_recorded",
            "measures",
            "risk",
            "scores",
            "created_at",
        ]
        read_only_fields = ["id", "practitioner", "step", "created_at"]
        # One contact per referral, time and type is the service's rule (with its
        # message beside started_at, and after an Idempotency-Key replay), not DRF's.
        validators = []


@extend_schema_view(
    list=extend_schema(summary="Sessions on the referrals you have a clinical relationship with"),
    retrieve=extend_schema(summary="One session with its scored measures (audited)"),
    create=extend_schema(
        summary="Record a session with its measures (items in; totals, bands and caseness out)",
        parameters=[IDEMPOTENCY_KEY],
    ),
)
class TherapySessionViewSet(ReadCreateViewSet):
    serializer_class = TherapySessionSerializer
    audit_object_type = "therapysession"
    filter_serializer_class = type(
        "TherapySessionFilterSerializer",
        (serializers.Serializer,),
        {
            "referral": serializers.UUIDField(required=False),
            "started_from": OffsetDateTimeField(required=False),
            "started_to": OffsetDateTimeField(required=False),
        },
    )
    filter_lookups = {
        "referral": "referral_id",
        "started_from": "started_at__gte",
        "started_to": "started_at__lte",
    }
    ordering_fields = ["started_at", "created_at"]
    ordering = ["started_at", "id"]

    def get_queryset(self):
        return selectors.therapy_sessions_for_user(user=self.request.user)

    def get_for_user(self, *, user, pk):
        return selectors.therapy_session_get_for_user(user=user, session_id=pk)

    def _replay(self, key: str, data: dict | None):
        """The first response to a request made with this key, if there was one."""
        existing = (
            TherapySession.objects.filter(created_by=self.request.user, idempotency_key=key)
            .prefetch_related("measures")
            .first()
        )
        if existing is None:
            return None
        if data is not None and (
            existing.referral_id != data["referral"].pk or existing.started_at != data["started_at"]
        ):
            raise ValidationError(
                {"Idempotency-Key": ["This key was used for a different session; use a new key for a new request."]}
            )
        response = Response(TherapySessionSerializer(existing).data, status=status.HTTP_201_CREATED)
        response["Idempotent-Replayed"] = "true"
        return response

    def create(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if key and (len(key) > 100 or not key.isprintable()):
            raise ValidationError({"Idempotency-Key": ["Up to 100 printable characters."]})
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if key and (replay := self._replay(key, data)):
            return replay
        risk = services.RiskInput(**data["risk"]) if data.get("risk") else None
        measure_items: dict[str, list] = {}
        for measure in data.get("measures", []):
            if measure["instrument"] in measure_items:
                raise ValidationError({"measures": [f"{measure['instrument']} is given twice."]})
            measure_items[measure["instrument"]] = measure["items"]
        try:
            session = services.therapy_session_record(
                user=request.user,
                referral=data["referral"],
                started_at=data["started_at"],
                appointment_type=data["appointment_type"],
                attendance=data["attendance"],
                medium=data["medium"],
                duration_minutes=data.get("duration_minutes"),
                interventions=data.get("interventions", []),
                therapy_type=data.get("therapy_type", ""),
                notes=data.get("notes", ""),
                measure_items=measure_items,
                risk_recorded=data.get("risk_recorded", False),
                risk=risk,
                idempotency_key=key,
            )
        except (IntegrityError, DjangoValidationError):
            # A concurrent request with the same key committed first: a unique
            # constraint refused this one, (created_by, idempotency_key) or the
            # one contact per referral, time and type (a 400 without a key).
            if key and (replay := self._replay(key, data)):
                return replay
            raise
        session = selectors.therapy_sessions_for_user(user=request.user).get(pk=session.pk)
        return Response(TherapySessionSerializer(session).data, status=status.HTTP_201_CREATED)


class RiskEventSerializer(serializers.ModelSerializer):
    referral = VisibleReferralField()
    risk_to_self = serializers.ChoiceField(choices=RISK_LEVEL_CHOICES)
    risk_to_others = serializers.ChoiceField(choices=RISK_LEVEL_CHOICES)
    risk_from_others = serializers.ChoiceField(choices=RISK_LEVEL_CHOICES)
    level = serializers.ChoiceField(choices=RISK_LEVEL_CHOICES)
    plan = serializers.CharField(max_length=10000)
    actions = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")

    class Meta:
        model = RiskAssessment
        fields = [
            "id",
            "referral",
            "session",
            "recorded_at",
            "recorded_by",
            "trigger",
            "risk_to_self",
            "risk_to_others",
            "risk_from_others",
            "level",
            "plan",
            "actions",
        ]
        read_only_fields = ["id", "session", "recorded_at", "recorded_by", "trigger"]


@extend_schema_view(
    list=extend_schema(summary="Risk assessments and events"),
    retrieve=extend_schema(summary="One risk assessment or event (audited)"),
    create=extend_schema(summary="Record a risk event (brings the case to supervision)"),
)
class RiskEventViewSet(ReadCreateViewSet):
    serializer_class = RiskEventSerializer
    audit_object_type = "riskassessment"
    filter_serializer_class = type(
        "RiskEventFilterSerializer", (serializers.Serializer,), {"referral": serializers.UUIDField(required=False)}
    )
    filter_lookups = {"referral": "referral_id"}
    ordering_fields = ["recorded_at"]
    ordering = ["-recorded_at", "-id"]

    def get_queryset(self):
        return selectors.risk_events_for_user(user=self.request.user)

    def get_for_user(self, *, user, pk):
        return selectors.risk_event_get_for_user(user=user, risk_id=pk)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        referral = data.pop("referral")
        risk = services.risk_event_record(user=request.user, referral=referral, risk=services.RiskInput(**data))
        risk = selectors.risk_events_for_user(user=request.user).get(pk=risk.pk)
        return Response(RiskEventSerializer(risk).data, status=status.HTTP_201_CREATED)
