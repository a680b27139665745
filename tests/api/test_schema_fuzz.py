"""Schema-driven fuzzing of the whole API with schemathesis: every operation of the live OpenAPI schema, called with
generated input by a signed-in admin (every endpoint is open to that role), must never answer 5xx and must answer
only what the schema documents (status codes, content types, bodies).

Bounded (SCHEMA_FUZZ_EXAMPLES per operation, default 20) so it stays around two minutes on two cores; a deeper run
is `SCHEMA_FUZZ_EXAMPLES=300 python3 dev.py test tests/api/test_schema_fuzz.py`.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis import checks

from tests.conftest import PASSWORD

EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "20"))

pytestmark = [pytest.mark.slow]


@pytest.fixture(autouse=True)
def _no_rate_limits(settings) -> None:  # noqa: ANN001
    settings.RATE_LIMITS_ENABLED = False  # the fuzzer sends far more than a person would


@pytest.fixture
def token(db) -> str:  # noqa: ANN001, ARG001
    from rest_framework.authtoken.models import Token

    from accounts.models import User

    admin = User.objects.create_superuser("fuzz-admin@example.com", PASSWORD)
    return Token.objects.create(user=admin).key


# Loaded through the app itself (pytest-django has set Django up before collecting this module): the schema under
# test is the one the server serves.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_every_operation_conforms_to_the_schema(case, token) -> None:  # noqa: ANN001
    # Two of schemathesis' default checks judge business rules, not the schema: "schema-valid input must be
    # accepted" fails on a wrong password, an unknown topic slug or a duplicate cohort name (400 with a message is
    # right), and "schema-invalid input must be refused" flags a multipart "0" read as false. Every schema check
    # runs: no 5xx, documented status codes, content types, headers and response bodies.
    case.call_and_validate(headers={"Authorization": f"Token {token}"},
                           excluded_checks=[checks.positive_data_acceptance, checks.negative_data_rejection])
