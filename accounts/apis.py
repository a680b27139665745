"""REST API for accounts: tokens and the caller's profile. Interfaces over accounts.services and selectors.

Resumes are served by rag/apis_resumes.py (processing them is the knowledge app's work), cohorts and their
assignments by sessions/apis_cohorts.py (what an instructor reads of a cohort is its members' interviews).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services
from accounts.models import Persona, User
from interviewprep.authentication import token_expired
from interviewprep.permissions import ServiceRefused
from interviewprep.ratelimit import FormRateThrottle


def account_refused(exc: services.AccountError) -> ServiceRefused:
    """An AccountError as the API's 400 (the cohort API uses it too)."""
    return ServiceRefused(str(exc), code="refused", status=400)


# --- tokens and the caller ---------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenApi(generics.GenericAPIView):
    """POST your email and password for an API token (send it as `Authorization: Token <key>`); DELETE revokes it.

    Limited like the login page (settings.RATE_LIMITS["login"]).
    """

    serializer_class = TokenSerializer
    throttle_scope = "login"

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "POST" else super().get_permissions()

    def get_throttles(self) -> list[Any]:
        extra = [FormRateThrottle()] if self.request.method == "POST" else []
        return [*super().get_throttles(), *extra]

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request: Request) -> Response:
        incoming = TokenRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        user = authenticate(request._request, username=incoming.validated_data["email"],
                            password=incoming.validated_data["password"])
        if user is None or not user.is_active:
            raise ServiceRefused("Wrong email or password.", code="bad_credentials", status=400)
        token, _ = Token.objects.get_or_create(user=user)
        if token_expired(token):
            token.delete()
            token = Token.objects.create(user=user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeSerializer(serializers.ModelSerializer):
    # Declared, not inferred: `skills` is a JSONField (any JSON would pass) and `persona` a free CharField.
    skills = serializers.ListField(child=serializers.CharField(max_length=60, allow_blank=False), max_length=60,
                                   required=False, help_text="At most 60 skills of at most 60 characters.")
    persona = serializers.ChoiceField(choices=Persona.choices, required=False)
    years_experience = serializers.IntegerField(min_value=0, max_value=60, allow_null=True, required=False)

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "target_role", "seniority", "years_experience", "skills",
                  "persona", "speak_questions", "show_avatar", "date_joined"]
        read_only_fields = ["id", "email", "role", "date_joined"]


class MeApi(generics.RetrieveUpdateAPIView):
    """Your profile; PATCH edits it through the same service as the profile page."""

    serializer_class = MeSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self) -> User:
        return self.request.user

    def perform_update(self, serializer: MeSerializer) -> None:
        try:
            services.user_update_profile(user=self.request.user, **serializer.validated_data)
        except services.AccountError as exc:
            raise account_refused(exc) from exc
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc


# --- resumes --------------------------------------------------------------------------------------------------
