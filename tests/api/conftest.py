# The API tests share the cohort tests' world, role logins and fast password hashing.
from tests.cohorts.conftest import _fast_and_fresh, login_as, world  # noqa: F401
