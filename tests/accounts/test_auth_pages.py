import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_signup_creates_a_candidate_and_logs_in(client):
    response = client.post(reverse("accounts:signup"), {
        "full_name": "New Person", "email": "New@Example.com",
        "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1",
    })
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.role == "candidate" and user.full_name == "New Person"
    assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("data, field", [
    ({"email": "not-an-email", "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1"}, "email"),
    ({"email": "p@example.com", "password1": "a-long-passphrase-1", "password2": "different-phrase-2"}, "password2"),
    ({"email": "p@example.com", "password1": "12345678", "password2": "12345678"}, "password1"),
    ({"email": "cand@example.com", "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1"}, "email"),
])
def test_signup_rejects_bad_input_with_field_errors(client, candidate, data, field):
    response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_login_by_email_case_insensitive_and_logout(client, candidate):
    response = client.post(reverse("accounts:login"), {"username": "CAND@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302  # back to login


@pytest.mark.django_db
def test_login_with_wrong_password_fails(client, candidate):
    response = client.post(reverse("accounts:login"), {"username": "cand@example.com", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors


@pytest.mark.django_db
def test_profile_edit_saves_fields_and_normalises_skills(candidate_client, candidate):
    response = candidate_client.post(reverse("accounts:profile"), {
        "full_name": "Cara C.", "target_role": "Backend engineer", "seniority": "mid", "years_experience": "4",
        "skills": "Python,  SQL, python, Kubernetes ", "persona": "neutral", "speak_questions": "on",
    })
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.full_name == "Cara C." and candidate.seniority == "mid" and candidate.years_experience == 4
    assert candidate.skills == ["Python", "SQL", "Kubernetes"]
    assert candidate.persona == "neutral" and candidate.speak_questions and not candidate.show_avatar


@pytest.mark.django_db
def test_profile_rejects_absurd_experience(candidate_client, candidate):
    response = candidate_client.post(reverse("accounts:profile"), {"years_experience": "99", "persona": "friendly"})
    assert response.status_code == 200 and "years_experience" in response.context["form"].errors


@pytest.mark.django_db
def test_password_change(client, candidate):
    client.force_login(candidate)
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "brand-new-phrase-7", "new_password2": "brand-new-phrase-7"})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.check_password("brand-new-phrase-7")


@pytest.mark.django_db
def test_password_reset_round_trip(client, candidate, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post(reverse("accounts:password_reset"), {"email": "cand@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = client.post(form_url, {"new_password1": "reset-phrase-42x", "new_password2": "reset-phrase-42x"})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.check_password("reset-phrase-42x")


@pytest.mark.django_db
def test_password_reset_for_unknown_email_sends_nothing_and_says_the_same(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and len(mail.outbox) == 0


@pytest.mark.django_db
def test_login_is_rate_limited(client, candidate, settings):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "3/m"}
    from django.core.cache import cache

    cache.clear()
    codes = [client.post(reverse("accounts:login"), {"username": "cand@example.com", "password": "bad"}).status_code
             for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


@pytest.mark.django_db
def test_signup_is_rate_limited(client, settings):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signup": "2/m"}
    from django.core.cache import cache

    cache.clear()
    codes = []
    for i in range(3):
        client.logout()
        codes.append(client.post(reverse("accounts:signup"), {
            "email": f"u{i}@example.com", "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1",
        }).status_code)
    assert codes == [302, 302, 429]
    assert User.objects.filter(email__startswith="u").count() == 2
