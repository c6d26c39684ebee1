"""Supervision flags and case reviews over the API, through supervision/services.py."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.models import User
from patients.api import VisibleReferralField
from patients.api_views import ReadCreateViewSet
from patients.codes import EndCode

from . import selectors, services
from .models import CaseReview, Decision, Flag, FlagReason, TrackDecision, TrackObstacle


class FlagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Flag
        fields = ["id", "referral", "reason", "raised_at", "raised_by", "detail", "resolved_at", "resolved_by_review"]
        read_only_fields = fields


class FlagRequestSerializer(serializers.Serializer):
    referral = VisibleReferralField()
    question = serializers.CharField(max_length=5000, help_text="What you want to discuss in supervision.")


@extend_schema_view(
    list=extend_schema(summary="Supervision flags on the cases you can see"),
    retrieve=extend_schema(summary="One flag (audited)"),
    create=extend_schema(
        summary="Ask for a case to be brought to supervision (the practitioner holding it)",
        request=FlagRequestSerializer,
        responses={201: FlagSerializer},
    ),
)
class FlagViewSet(ReadCreateViewSet):
    serializer_class = FlagSerializer
    audit_object_type = "flag"
    filter_serializer_class = type(
        "FlagFilterSerializer",
        (serializers.Serializer,),
        {
            "referral": serializers.UUIDField(required=False),
            "reason": serializers.ChoiceField(choices=FlagReason.choices, required=False),
            "open": serializers.BooleanField(required=False, allow_null=True, default=None),
        },
    )
    filter_lookups = {"referral": "referral_id", "open": "resolved_at__isnull"}
    ordering_fields = ["raised_at"]
    ordering = ["raised_at", "id"]

    def get_queryset(self):
        return selectors.flags_for_user(user=self.request.user)

    def get_for_user(self, *, user, pk):
        return selectors.flag_get_for_user(user=user, flag_id=pk)

    def get_serializer_class(self):
        return FlagRequestSerializer if self.action == "create" else FlagSerializer

    def create(self, request, *args, **kwargs):
        serializer = FlagRequestSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        flag = services.flag_request(user=request.user, **serializer.validated_data)
        return Response(FlagSerializer(flag).data, status=status.HTTP_201_CREATED)


@extend_schema_field(OpenApiTypes.INT)
class ServiceUserField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        user = self.context["request"].user
        return User.objects.filter(service_id=user.service_id, is_active=True)


class CaseReviewSerializer(serializers.ModelSerializer):
    referral = VisibleReferralField()
    decisions = serializers.ListField(
        child=serializers.ChoiceField(choices=Decision.choices), min_length=1, max_length=len(Decision.choices)
    )
    notes = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    risk_action = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    risk_action_owner = ServiceUserField(required=False, allow_null=True, default=None)
    end_code = serializers.ChoiceField(choices=EndCode.choices, required=False, allow_blank=True, default="")
    step_up_practitioner = ServiceUserField(required=False, allow_null=True, default=None, write_only=True)
    track_decision = serializers.ChoiceField(
        choices=TrackDecision.choices, required=False, allow_blank=True, default=""
    )
    track_obstacle = serializers.ChoiceField(
        choices=TrackObstacle.choices, required=False, allow_blank=True, default=""
    )

    class Meta:
        model = CaseReview
        fields = [
            "id",
            "referral",
            "reviewer",
            "reviewed_at",
            "decisions",
            "notes",
            "next_review_on",
            "risk_action",
            "risk_action_owner",
            "risk_action_due",
            "end_code",
            "step_up_practitioner",
            "track_decision",
            "track_obstacle",
        ]
        read_only_fields = ["id", "reviewer", "reviewed_at"]
        extra_kwargs = {"risk_action_due": {"required": False, "allow_null": True, "default": None}}


@extend_schema_view(
    list=extend_schema(summary="Case-management reviews"),
    retrieve=extend_schema(summary="One review (audited)"),
    create=extend_schema(summary="Record a case review (the practitioner's supervisor)"),
)
class CaseReviewViewSet(ReadCreateViewSet):
    serializer_class = CaseReviewSerializer
    audit_object_type = "casereview"
    filter_serializer_class = type(
        "CaseReviewFilterSerializer", (serializers.Serializer,), {"referral": serializers.UUIDField(required=False)}
    )
    filter_lookups = {"referral": "referral_id"}
    ordering_fields = ["reviewed_at", "next_review_on"]
    ordering = ["-reviewed_at", "-id"]

    def get_queryset(self):
        return selectors.case_reviews_for_user(user=self.request.user)

    def get_for_user(self, *, user, pk):
        return selectors.case_review_get_for_user(user=user, review_id=pk)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.case_review_record(user=request.user, **serializer.validated_data)
        return Response(CaseReviewSerializer(review).data, status=status.HTTP_201_CREATED)
