"""Base viewsets of the API over the record."""

from __future__ import annotations

from rest_framework import mixins, viewsets
from rest_framework.response import Response

from core.api import etag


class RecordViewSetMixin:
    """Lists audited page by page (one audit entry naming the patients shown);
    single records read through the app's selector (`get_for_user`), which
    checks the relationship (404 outside it) and audits the read."""

    audit_object_type = ""

    def get_for_user(self, *, user, pk):  # pragma: no cover - each viewset defines it
        raise NotImplementedError

    def get_object(self):
        obj = self.get_for_user(user=self.request.user, pk=self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        self.check_object_permissions(self.request, obj)
        return obj

    def list(self, request, *args, **kwargs):
        from .selectors import audit_list

        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page) if page is not None else list(queryset)
        audit_list(user=request.user, object_type=self.audit_object_type, rows=rows)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        response = Response(self.get_serializer(obj).data)
        if hasattr(obj, "version"):
            response["ETag"] = etag(obj.version)
        return response


class ReadCreateViewSet(
    RecordViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Clinical entries are added and read, never edited or deleted over the API
    (an ended record is corrected by a recorded amendment)."""

    http_method_names = ["get", "post", "head", "options"]
