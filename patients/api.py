"""Patients and referrals over the API: thin serializers (shape only), the
selectors for reads and the services for every write."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Role, Team, User
from core.api import etag, expected_version
from core.fields import NationalCodeField

from . import selectors, services
from .api_views import RecordViewSetMixin
from .codes import (
    EMPLOYMENT_STATUS_CHOICES,
    GENDER_IDENTITY_CHOICES,
    LONG_TERM_CONDITION_CHOICES,
    PREFERRED_LANGUAGE_CHOICES,
    ContactPreference,
    EndCode,
    Ethnicity,
    PresentingProblemType,
    ProblemDescriptor,
    ReferralSource,
    ReferralStatus,
    Sex,
)
from .models import Patient, PresentingProblem, Referral

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The ETag you read, e.g. "3" (or send the field version). A stale one answers 409.',
)


@extend_schema_field(OpenApiTypes.UUID)
class VisibleReferralField(serializers.PrimaryKeyRelatedField):
    """A referral the requesting user has a relationship with (anything else is
    'does not exist': no enumeration). Shared by the API of every floor that
    writes against a referral (sessions, stepped care, supervision)."""

    def get_queryset(self):
        return Referral.objects.visible_to(self.context["request"].user)


class PatientSerializer(serializers.ModelSerializer):
    contact_preferences = serializers.ListField(
        child=serializers.ChoiceField(choices=ContactPreference.choices), required=False, max_length=4
    )
    # The national codes (decision 022), each with its label beside it.
    sex = NationalCodeField(list_name="stated gender", choices=Sex.choices)
    sex_label = serializers.CharField(source="get_sex_display", read_only=True)
    gender_identity = NationalCodeField(
        list_name="gender identity", choices=GENDER_IDENTITY_CHOICES, required=False, allow_blank=True
    )
    gender_identity_label = serializers.CharField(source="get_gender_identity_display", read_only=True)
    ethnicity = NationalCodeField(list_name="ethnic category", choices=Ethnicity.choices, required=False)
    ethnicity_label = serializers.CharField(source="get_ethnicity_display", read_only=True)
    preferred_language = NationalCodeField(
        list_name="preferred language", choices=PREFERRED_LANGUAGE_CHOICES, required=False, allow_blank=True
    )
    employment_status = NationalCodeField(
        list_name="employment status", choices=EMPLOYMENT_STATUS_CHOICES, required=False, allow_blank=True
    )
    employment_status_label = serializers.CharField(source="get_employment_status_display", read_only=True)
    long_term_conditions = serializers.ListField(
        child=NationalCodeField(list_name="long-term condition (SNOMED CT)", choices=LONG_TERM_CONDITION_CHOICES),
        required=False,
        max_length=len(LONG_TERM_CONDITION_CHOICES),
    )

    class Meta:
        model = Patient
        fields = [
            "id",
            "nhs_number",
            *services.PATIENT_EDITABLE_FIELDS,
            "sex_label",
            "gender_identity_label",
            "ethnicity_label",
            "employment_status_label",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "version", "created_at", "updated_at"]
        # The NHS number's check is the service's rule (patients/services.py), not the serializer's.
        extra_kwargs = {"nhs_number": {"validators": [], "max_length": 14}}


class PatientUpdateSerializer(PatientSerializer):
    version = serializers.IntegerField(
        min_value=0, required=False, help_text="The version you read (or send If-Match)."
    )

    class Meta(PatientSerializer.Meta):
        read_only_fields = ["id", "nhs_number", "created_at", "updated_at"]


def _versioned_response(serializer_class, obj, *, status_code=status.HTTP_200_OK):
    """The record with its version as the ETag, for the next PATCH's If-Match."""
    response = Response(serializer_class(obj).data, status=status_code)
    response["ETag"] = etag(obj.version)
    return response


@extend_schema_view(
    list=extend_schema(summary="Patients you have a relationship with"),
    retrieve=extend_schema(summary="One patient (audited)"),
    create=extend_schema(summary="Register a patient (referral administrators and service managers)"),
    partial_update=extend_schema(
        summary="Edit a patient's details", parameters=[IF_MATCH], request=PatientUpdateSerializer
    ),
)
class PatientViewSet(
    RecordViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PatientSerializer
    audit_object_type = "patient"
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["family_name", "given_name", "date_of_birth", "created_at"]
    ordering = ["family_name", "given_name", "id"]

    def get_queryset(self):
        return Patient.objects.visible_to(self.request.user)

    def get_for_user(self, *, user, pk):
        return selectors.patient_get_for_user(user=user, patient_id=pk)

    def get_serializer_class(self):
        return PatientUpdateSerializer if self.action == "partial_update" else PatientSerializer

    def create(self, request, *args, **kwargs):
        serializer = PatientSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        patient = services.patient_register(
            user=request.user,
            nhs_number=data.pop("nhs_number"),
            given_name=data.pop("given_name"),
            family_name=data.pop("family_name"),
            date_of_birth=data.pop("date_of_birth"),
            sex=data.pop("sex"),
            **data,
        )
        return _versioned_response(PatientSerializer, patient, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        patient = self.get_object()
        serializer = PatientUpdateSerializer(patient, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        version = expected_version(request)
        changes = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        patient = services.patient_update(user=request.user, patient=patient, version=version, **changes)
        return _versioned_response(PatientSerializer, patient)


class ReferralSerializer(serializers.ModelSerializer):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.none())
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.none(), required=False, allow_null=True)
    notes = serializers.CharField(source="reason_notes", required=False, allow_blank=True, max_length=10000)
    problem_descriptor = serializers.ChoiceField(choices=ProblemDescriptor.choices, required=False, allow_blank=True)
    source = NationalCodeField(
        list_name="source of referral (SourceOfReferralIAPT)",
        choices=ReferralSource.choices,
        help_text="SourceOfReferralIAPT: the national code (A1 GP, B1 self-referral ...)",
    )
    source_label = serializers.CharField(source="get_source_display", read_only=True)
    source_recorded_as = serializers.CharField(
        read_only=True, help_text="The local source before national codes, where only the nearest code was known."
    )
    assigned_practitioner = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    end_code = serializers.ChoiceField(choices=EndCode.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "patient",
            "service",
            "team",
            "source",
            "source_label",
            "source_recorded_as",
            "received_on",
            "problem_descriptor",
            "status",
            "current_step",
            "assigned_practitioner",
            "assessed_on",
            "first_treatment_on",
            "second_treatment_on",
            "last_contact_on",
            "last_reviewed_at",
            "ended_on",
            "end_code",
            "notes",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "service",
            "status",
            "current_step",
            "assessed_on",
            "first_treatment_on",
            "second_treatment_on",
            "last_contact_on",
            "last_reviewed_at",
            "ended_on",
            "end_code",
            "version",
            "created_at",
            "updated_at",
        ]

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            # Registration staff reach every patient of their service (one just
            # registered has no referral yet); everyone else their relationship's.
            if user.role in services.REGISTRATION_ROLES:
                self.fields["patient"].queryset = Patient.objects.filter(service_id=user.service_id)
            else:
                self.fields["patient"].queryset = Patient.objects.visible_to(user)
            self.fields["team"].queryset = Team.objects.filter(service_id=user.service_id)


class ReferralUpdateSerializer(ReferralSerializer):
    """A referral's editable details; its patient never changes."""

    patient = serializers.PrimaryKeyRelatedField(read_only=True)
    version = serializers.IntegerField(min_value=0, required=False, help_text="The version you read (or If-Match).")


class PresentingProblemSerializer(serializers.ModelSerializer):
    """A presenting problem (IDS603): type P primary or S secondary, the ICD-10
    code (without its dot), the date recorded; the latest live primary is the
    referral's problem_descriptor. Removed rows stay, with removed_at."""

    kind = serializers.ChoiceField(choices=PresentingProblemType.choices)
    code = serializers.ChoiceField(choices=ProblemDescriptor.choices)
    group = serializers.CharField(read_only=True, help_text="The national group NHS England reports it in.")
    recorded_on = serializers.DateField()
    version = serializers.IntegerField(
        min_value=0, required=False, write_only=True, help_text="The referral's version you read (or If-Match)."
    )

    class Meta:
        model = PresentingProblem
        fields = ["id", "kind", "code", "group", "recorded_on", "recorded_by", "recorded_at", "removed_at", "version"]
        read_only_fields = ["id", "recorded_by", "recorded_at", "removed_at"]


class AllocationSerializer(serializers.Serializer):
    practitioner = serializers.PrimaryKeyRelatedField(queryset=User.objects.none())
    step = serializers.IntegerField(min_value=1, max_value=3)

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["practitioner"].queryset = User.objects.filter(
                service_id=user.service_id, role__in=[Role.PWP, Role.HIT, Role.SUPERVISOR], is_active=True
            )


class ReferralFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReferralStatus.choices, required=False)
    step = serializers.IntegerField(min_value=1, max_value=3, required=False)
    problem_descriptor = serializers.ChoiceField(choices=ProblemDescriptor.choices, required=False)
    source = NationalCodeField(
        list_name="source of referral (SourceOfReferralIAPT)", choices=ReferralSource.choices, required=False
    )
    patient = serializers.UUIDField(required=False)
    received_from = serializers.DateField(required=False)
    received_to = serializers.DateField(required=False)


@extend_schema_view(
    list=extend_schema(summary="Referrals you have a relationship with"),
    retrieve=extend_schema(summary="One referral (audited)"),
    create=extend_schema(summary="Register a referral for a patient"),
    partial_update=extend_schema(
        summary="Edit a referral's details", parameters=[IF_MATCH], request=ReferralUpdateSerializer
    ),
)
class ReferralViewSet(
    RecordViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ReferralSerializer
    audit_object_type = "referral"
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_serializer_class = ReferralFilterSerializer
    filter_lookups = {
        "step": "current_step",
        "patient": "patient_id",
        "received_from": "received_on__gte",
        "received_to": "received_on__lte",
    }
    ordering_fields = ["received_on", "created_at", "status"]
    ordering = ["-received_on", "id"]

    def get_queryset(self):
        return Referral.objects.visible_to(self.request.user)

    def get_for_user(self, *, user, pk):
        return selectors.referral_get_for_user(user=user, referral_id=pk)

    def get_serializer_class(self):
        if self.action == "partial_update":
            return ReferralUpdateSerializer
        if self.action == "allocate":
            return AllocationSerializer
        return ReferralSerializer

    def create(self, request, *args, **kwargs):
        serializer = ReferralSerializer(data=request.data, user=request.user)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        referral = services.referral_register(
            user=request.user,
            patient=data["patient"],
            source=data["source"],
            received_on=data["received_on"],
            problem_descriptor=data.get("problem_descriptor", ""),
            team=data.get("team"),
            notes=data.get("reason_notes", ""),
        )
        return _versioned_response(ReferralSerializer, referral, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        referral = self.get_object()
        serializer = ReferralUpdateSerializer(referral, data=request.data, partial=True, user=request.user)
        serializer.is_valid(raise_exception=True)
        version = expected_version(request)
        changes = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        if "reason_notes" in changes:
            changes["notes"] = changes.pop("reason_notes")
        referral = services.referral_update(user=request.user, referral=referral, version=version, **changes)
        return _versioned_response(ReferralSerializer, referral)

    @extend_schema(
        summary="Allocate a referral to a practitioner's caseload at a step",
        request=AllocationSerializer,
        responses={200: ReferralSerializer},
    )
    @action(detail=True, methods=["post"])
    def allocate(self, request, pk=None):
        referral = self.get_object()
        serializer = AllocationSerializer(data=request.data, user=request.user)
        serializer.is_valid(raise_exception=True)
        referral = services.referral_allocate(user=request.user, referral=referral, **serializer.validated_data)
        return _versioned_response(ReferralSerializer, referral)

    @extend_schema(
        methods=["get"],
        summary="A referral's presenting problems (IDS603), newest first, removed ones included",
        responses={200: PresentingProblemSerializer(many=True)},
    )
    @extend_schema(
        methods=["post"],
        summary="Record a presenting problem: a new primary (from its date it is the one that counts) or a secondary",
        parameters=[IF_MATCH],
        request=PresentingProblemSerializer,
        responses={201: PresentingProblemSerializer},
    )
    @action(detail=True, methods=["get", "post"], url_path="presenting-problems")
    def presenting_problems(self, request, pk=None):
        referral = self.get_object()  # the relationship (404 outside it), the read audited
        if request.method == "GET":
            rows = list(referral.presenting_problems.all())
            return Response(PresentingProblemSerializer(rows, many=True).data)
        serializer = PresentingProblemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = expected_version(request)
        data = serializer.validated_data
        problem = services.presenting_problem_record(
            user=request.user,
            referral=referral,
            version=version,
            kind=data["kind"],
            code=data["code"],
            recorded_on=data["recorded_on"],
        )
        response = Response(PresentingProblemSerializer(problem).data, status=status.HTTP_201_CREATED)
        response["ETag"] = etag(version + 1)
        return response

    @extend_schema(
        summary="Remove a presenting problem recorded in error (it stays in the history, marked removed)",
        parameters=[IF_MATCH],
        request=None,
        responses={200: PresentingProblemSerializer},
    )
    @action(detail=True, methods=["post"], url_path=r"presenting-problems/(?P<problem_id>[0-9]+)/remove")
    def presenting_problem_remove(self, request, pk=None, problem_id=None):
        from django.http import Http404

        referral = self.get_object()
        problem = referral.presenting_problems.filter(pk=problem_id).first()
        if problem is None:
            raise Http404
        version = expected_version(request)
        problem = services.presenting_problem_remove(user=request.user, problem=problem, version=version)
        response = Response(PresentingProblemSerializer(problem).data)
        response["ETag"] = etag(version + 1)
        return response


# Practitioners (issue 14 item 10): who a referral can be allocated to.


class PractitionerSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    step = serializers.SerializerMethodField()
    team_name = serializers.CharField(source="team.name", read_only=True, allow_null=True, default=None)
    caseload = serializers.IntegerField(
        source="caseload_count", read_only=True, help_text="Open referrals on the practitioner's caseload."
    )
    capacity = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "name", "role", "band", "is_trainee", "step", "team", "team_name", "caseload", "capacity"]
        read_only_fields = fields

    def get_name(self, user) -> str:
        return user.get_full_name() or user.username

    def get_step(self, user) -> int | None:
        return selectors.STEP_BY_ROLE.get(user.role)

    def get_capacity(self, user) -> int:
        """The caseload the practitioner can hold today (accounts/capacity.py: trainees less)."""
        return user.capacity()


@extend_schema_view(
    list=extend_schema(
        summary="The service's practitioners with their step, team, caseload and capacity "
        "(referral administrators, service managers and supervisors: those who allocate)"
    ),
)
class PractitionerViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = PractitionerSerializer
    ordering_fields = ["last_name", "caseload_count"]
    ordering = ["last_name", "first_name", "id"]

    def get_queryset(self):
        return selectors.practitioners_for_allocation(user=self.request.user)
