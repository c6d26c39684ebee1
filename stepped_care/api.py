"""Step changes over the API: a practitioner proposes, a supervisor (or the
service manager) decides, through stepped_care/services.py."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Role, User
from patients.api import VisibleReferralField
from patients.api_views import ReadCreateViewSet
from patients.codes import EndCode

from . import selectors, services
from .models import StepChange, StepChangeKind, StepChangeStatus


class StepChangeSerializer(serializers.ModelSerializer):
    referral = VisibleReferralField()
    kind = serializers.ChoiceField(
        choices=[(k, v) for k, v in StepChangeKind.choices if k != StepChangeKind.ALLOCATION],
        help_text="What is proposed (the step decision at assessment is made with the assessment).",
    )
    to_step = serializers.IntegerField(min_value=1, max_value=3, required=False, allow_null=True)
    end_code = serializers.ChoiceField(choices=EndCode.choices, required=False, allow_blank=True)
    reason = serializers.CharField(max_length=10000)

    class Meta:
        model = StepChange
        fields = [
            "id",
            "referral",
            "kind",
            "status",
            "from_step",
            "to_step",
            "effective_on",
            "reason",
            "end_code",
            "proposed_by",
            "proposed_at",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = ["id", "status", "from_step", "proposed_by", "proposed_at", "decided_by", "decided_at"]


class StepChangeOutSerializer(StepChangeSerializer):
    kind = serializers.ChoiceField(choices=StepChangeKind.choices, read_only=True)


class DecisionSerializer(serializers.Serializer):
    confirm = serializers.BooleanField()
    note = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    practitioner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False, allow_null=True, default=None
    )

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["practitioner"].queryset = User.objects.filter(
                service_id=user.service_id, role__in=[Role.PWP, Role.HIT, Role.SUPERVISOR], is_active=True
            )


@extend_schema_view(
    list=extend_schema(summary="Step history and proposals", responses=StepChangeOutSerializer(many=True)),
    retrieve=extend_schema(summary="One step change (audited)", responses=StepChangeOutSerializer),
    create=extend_schema(summary="Propose a step up, step down or discharge", responses={201: StepChangeOutSerializer}),
)
class StepChangeViewSet(ReadCreateViewSet):
    serializer_class = StepChangeOutSerializer
    audit_object_type = "stepchange"
    filter_serializer_class = type(
        "StepChangeFilterSerializer",
        (serializers.Serializer,),
        {
            "referral": serializers.UUIDField(required=False),
            "status": serializers.ChoiceField(choices=StepChangeStatus.choices, required=False),
        },
    )
    filter_lookups = {"referral": "referral_id"}
    ordering_fields = ["proposed_at", "effective_on"]
    ordering = ["proposed_at", "id"]

    def get_queryset(self):
        return selectors.step_changes_for_user(user=self.request.user)

    def get_for_user(self, *, user, pk):
        return selectors.step_change_get_for_user(user=user, change_id=pk)

    def get_serializer_class(self):
        if self.action == "create":
            return StepChangeSerializer
        if self.action == "decide":
            return DecisionSerializer
        return StepChangeOutSerializer

    def create(self, request, *args, **kwargs):
        serializer = StepChangeSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        change = services.step_change_propose(
            user=request.user,
            referral=data["referral"],
            kind=data["kind"],
            reason=data["reason"],
            effective_on=data["effective_on"],
            to_step=data.get("to_step"),
            end_code=data.get("end_code", ""),
        )
        return Response(StepChangeOutSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Confirm or decline a proposal (supervisor or service manager)",
        request=DecisionSerializer,
        responses={200: StepChangeOutSerializer},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        change = self.get_object()
        serializer = DecisionSerializer(data=request.data, user=request.user)
        serializer.is_valid(raise_exception=True)
        change = services.step_change_decide(user=request.user, change=change, **serializer.validated_data)
        return Response(StepChangeOutSerializer(change).data)
