"""Admin actions on users: export a user's data as JSON, delete a user's data (after a confirmation page). Each is
an interface over one accounts selector or service, which gather every app's part of the data
(accounts/user_data.py). Re-running an answer's pipeline is in sessions/admin.py, the question bank's actions
(import, export, rebuild the FAISS index) in rag/admin.py.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone


@admin.action(description="Export the selected users' data as JSON", permissions=["change"])
def export_user_data(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
    from accounts.selectors import user_data_export

    users = list(queryset)
    exports = [user_data_export(user=user) for user in users]
    payload: Any = exports[0] if len(exports) == 1 else {"format": "interviewprep.user-export-list/1",
                                                         "users": exports}
    name = f"user-{users[0].pk}-data" if len(users) == 1 else f"users-data-{timezone.now():%Y%m%d-%H%M%S}"
    response = HttpResponse(json.dumps(payload, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response


@admin.action(description="Delete the selected users' data (interviews, resumes, mastery; keeps the accounts)",
              permissions=["delete"])
def delete_user_data(modeladmin: admin.ModelAdmin, request: HttpRequest,
                     queryset: QuerySet[Any]) -> HttpResponse | None:
    """First call: a confirmation page listing what goes. The page posts back with `confirm=yes`."""
    from accounts.services import user_data_delete

    users = list(queryset)
    if request.POST.get("confirm") != "yes":
        return TemplateResponse(request, "admin/user_data_delete_confirm.html", {
            **modeladmin.admin_site.each_context(request),
            "title": "Delete these users' data?",
            "opts": modeladmin.model._meta,
            "users": [{"user": u, "counts": _data_counts(u)} for u in users],
            "action": "delete_user_data",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })
    total: dict[str, int] = {}
    for user in users:
        for label, count in user_data_delete(user=user).items():
            total[label] = total.get(label, 0) + count
    summary = ", ".join(f"{count} {label.replace('_', ' ')}" for label, count in total.items() if count) or "nothing"
    modeladmin.message_user(request, f"Deleted the data of {len(users)} user(s): {summary}.", messages.SUCCESS)
    return None


def _data_counts(user: Any) -> dict[str, int]:
    return {"interviews": user.interviews.count(), "answers": user.answers.count(),
            "resumes": user.resumes.count(), "job descriptions": user.job_descriptions.count(),
            "study plans": user.study_plans.count(), "cohort memberships": user.memberships.count()}
