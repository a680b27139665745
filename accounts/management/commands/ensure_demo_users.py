"""Create the demo accounts (idempotent): an admin, an instructor with a cohort, and a candidate in it."""

from django.core.management.base import BaseCommand

from accounts.models import Cohort, CohortMembership, Role, User

DEMO_PASSWORD = "demo-pass-123"


class Command(BaseCommand):
    help = "Create admin@example.com, instructor@example.com and candidate@example.com (password demo-pass-123)."

    def handle(self, *args: object, **options: object) -> None:
        admin = self._user("admin@example.com", Role.ADMIN, "Demo Admin", superuser=True)
        instructor = self._user("instructor@example.com", Role.INSTRUCTOR, "Demo Instructor")
        candidate = self._user("candidate@example.com", Role.CANDIDATE, "Demo Candidate")
        cohort, _ = Cohort.objects.get_or_create(owner=instructor, name="Demo cohort",
                                                 defaults={"description": "Created by ensure_demo_users."})
        CohortMembership.objects.get_or_create(cohort=cohort, user=candidate, left_at=None)
        self.stdout.write(f"demo users ready ({admin.email}, {instructor.email}, {candidate.email}; "
                          f"password {DEMO_PASSWORD}); cohort invite code {cohort.invite_code}")

    def _user(self, email: str, role: str, name: str, *, superuser: bool = False) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            create = User.objects.create_superuser if superuser else User.objects.create_user
            user = create(email=email, password=DEMO_PASSWORD, full_name=name, role=role)
        return user
