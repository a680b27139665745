"""REST API for the caller's resumes (/api/v1/resumes/): list, upload (checked like the profile page's upload and
processed in the background), read, delete. Interfaces over rag.services and accounts.selectors."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import selectors
from accounts.models import Resume
from interviewprep.permissions import ServiceRefused
from interviewprep.ratelimit import FormRateThrottle


class ResumeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Resume
        fields = ["id", "original_name", "file_type", "size_bytes", "status", "progress", "error", "chunk_count",
                  "is_active", "parsed", "created_at"]
        read_only_fields = fields


class ResumeUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, DOCX or TXT, at most 5 MB; the type is checked by content.")


class ResumeListApi(generics.ListCreateAPIView):
    """Your resumes, newest first; POST (multipart) uploads one, checked like the profile page's upload."""

    serializer_class = ResumeSerializer
    throttle_scope = "upload"
    accepts_upload = True  # interviewprep.body_limits: bodies up to the upload cap, not REQUEST_MAX_BYTES

    def get_throttles(self) -> list[Any]:
        extra = [FormRateThrottle()] if self.request.method == "POST" else []
        return [*super().get_throttles(), *extra]

    def get_queryset(self) -> Any:
        return selectors.resumes_for_user(user=self.request.user)

    @extend_schema(request={"multipart/form-data": ResumeUploadSerializer}, responses={201: ResumeSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        from rag.resumes import MAX_UPLOAD_BYTES, ResumeError
        from rag.services import resume_upload

        incoming = ResumeUploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        upload = incoming.validated_data["file"]
        try:
            # One byte past the limit is enough for the service to refuse an oversize file.
            resume = resume_upload(user=request.user, name=upload.name, data=upload.read(MAX_UPLOAD_BYTES + 1))
        except ResumeError as exc:
            raise ServiceRefused(str(exc), code="bad_resume") from exc
        return Response(ResumeSerializer(resume).data, status=status.HTTP_201_CREATED)


class ResumeDetailApi(generics.RetrieveDestroyAPIView):
    serializer_class = ResumeSerializer

    def get_object(self) -> Resume:
        resume = selectors.resumes_for_user(user=self.request.user).filter(pk=self.kwargs["pk"]).first()
        if resume is None:
            raise Http404("No such resume.")
        return resume

    def perform_destroy(self, instance: Resume) -> None:
        from rag.services import resume_delete

        resume_delete(resume=instance)
