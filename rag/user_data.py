"""The knowledge app's part of a user's data delete: the per-resume FAISS indexes (registered with
accounts/user_data.py). Resumes themselves are account rows; their text is in the account's export."""

from __future__ import annotations

from typing import Any

from accounts.models import Resume, User
from accounts.user_data import UserDataDeleted, UserDataPart


def resume_indexes_export(user: User) -> dict[str, Any]:  # noqa: ARG001 - the indexes are derived data
    return {}


def resume_indexes_delete(user: User) -> UserDataDeleted:
    """Runs before the account deletes the resume rows: the ids are read now, the files go after commit."""
    from rag.index import resume_index_delete

    user_id, resume_ids = user.pk, list(Resume.objects.filter(user=user).values_list("pk", flat=True))

    def files_delete() -> None:
        for resume_id in resume_ids:
            resume_index_delete(user_id=user_id, resume_id=resume_id)

    return UserDataDeleted(after_commit=files_delete)


PART = UserDataPart(app="rag", order=30, export=resume_indexes_export, delete=resume_indexes_delete)
