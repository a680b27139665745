"""API token authentication with an expiry (settings.API_TOKEN_TTL_DAYS).

DRF's tokens never expire; a leaked one would work until its owner revoked it. Here a token older than the TTL is
refused with 401 and deleted, and `POST /api/v1/auth/token/` hands out a fresh one. Password changes revoke
tokens in `accounts.models.User.save`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed


def token_expired(token: Token) -> bool:
    ttl_days = settings.API_TOKEN_TTL_DAYS
    return ttl_days > 0 and token.created < timezone.now() - timedelta(days=ttl_days)


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            token.delete()
            raise AuthenticationFailed("Token expired; request a new one with POST /api/v1/auth/token/.")
        return user, token
