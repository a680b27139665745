from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.cohorts.scenario import build_world


@pytest.fixture(autouse=True)
def _fast_and_fresh(settings) -> None:  # noqa: ANN001
    # Five users per test: the production password hasher would spend ~2 s per test hashing their passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # DRF's throttles count in the cache; a matrix of many requests must not trip them across tests.
    cache.clear()


@pytest.fixture
def world(candidate, instructor):  # noqa: ANN001, ANN201
    return build_world(candidate=candidate, instructor=instructor)


@pytest.fixture
def login_as(client, candidate, other_candidate, instructor, other_instructor, admin):  # noqa: ANN001, ANN201, PLR0913
    users = {"candidate": candidate, "other_candidate": other_candidate, "instructor": instructor,
             "other_instructor": other_instructor, "admin": admin}

    def login(role: str):  # noqa: ANN202
        client.logout()
        if role != "anonymous":
            client.force_login(users[role])
        return client

    return login
