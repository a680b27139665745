import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Cohort, CohortMembership, Role, User
from tests.conftest import make_user


@pytest.mark.django_db
def test_email_is_the_login_and_is_unique_case_insensitively():
    user = make_user("Mixed.Case@Example.com")
    assert user.email == "mixed.case@example.com"
    assert User.USERNAME_FIELD == "email"
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="MIXED.case@example.com", password="x")


@pytest.mark.django_db
def test_superuser_gets_admin_role_and_staff():
    admin = User.objects.create_superuser(email="a@example.com", password="pw-123456789")
    assert admin.role == Role.ADMIN and admin.is_staff and admin.is_admin and admin.is_instructor


@pytest.mark.django_db
def test_role_constraint_rejects_unknown_roles():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="x@example.com", password="x", role="wizard")


@pytest.mark.django_db
def test_years_of_experience_bounded():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="old@example.com", password="x", years_experience=200)


@pytest.mark.django_db
def test_one_open_membership_per_cohort_but_history_kept(instructor, candidate):
    cohort = Cohort.objects.create(owner=instructor, name="Spring")
    first = CohortMembership.objects.create(cohort=cohort, user=candidate)
    with pytest.raises(IntegrityError), transaction.atomic():
        CohortMembership.objects.create(cohort=cohort, user=candidate)
    first.left_at = timezone.now()
    first.save()
    CohortMembership.objects.create(cohort=cohort, user=candidate)  # rejoining after leaving is allowed
    assert CohortMembership.objects.filter(cohort=cohort, user=candidate).count() == 2


@pytest.mark.django_db
def test_membership_cannot_end_before_it_starts(instructor, candidate):
    cohort = Cohort.objects.create(owner=instructor, name="Summer")
    with pytest.raises(IntegrityError), transaction.atomic():
        CohortMembership.objects.create(cohort=cohort, user=candidate, joined_at=timezone.now(),
                                        left_at=timezone.now() - timezone.timedelta(days=1))


@pytest.mark.django_db
def test_cohort_names_unique_per_owner_and_invite_codes_unique(instructor, other_instructor):
    a = Cohort.objects.create(owner=instructor, name="A")
    Cohort.objects.create(owner=other_instructor, name="A")
    with pytest.raises(IntegrityError), transaction.atomic():
        Cohort.objects.create(owner=instructor, name="A")
    with pytest.raises(IntegrityError), transaction.atomic():
        Cohort.objects.create(owner=other_instructor, name="B", invite_code=a.invite_code)
