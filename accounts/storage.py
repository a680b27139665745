"""Per-user storage quota (settings.USER_STORAGE_QUOTA_MB): resumes and answer audio together.

The account owns the user; the audio belongs to the interviews app above it, which this app does not import. Apps
that store files for a user register how many bytes a user holds (in their AppConfig.ready); `storage_quota_check`
adds them to the resumes' bytes and refuses what would pass the quota, with a message fit for the user.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.conf import settings
from django.db.models import Sum

from accounts.models import ProcessingStatus, User
from accounts.services import AccountError

_lock = threading.Lock()
_sources: dict[str, Callable[[User], int]] = {}


class StorageQuotaExceeded(AccountError):
    pass


def storage_source_register(name: str, bytes_held: Callable[[User], int]) -> None:
    """Register (or replace) an app's count of the bytes a user's files take."""
    with _lock:
        _sources[name] = bytes_held


def user_storage_used(*, user: User) -> int:
    # A failed resume's file is removed from disk (rag.services.resume_process); its row stays to show why.
    kept = user.resumes.exclude(status=ProcessingStatus.FAILED)
    resumes = kept.aggregate(total=Sum("size_bytes"))["total"] or 0
    with _lock:
        sources = list(_sources.values())
    return resumes + sum(source(user) for source in sources)


def storage_quota_check(*, user: User, adding: int = 0) -> None:
    """Raise StorageQuotaExceeded when storing `adding` more bytes would pass the user's quota."""
    quota = settings.USER_STORAGE_QUOTA_MB * 1024 * 1024
    if quota <= 0:
        return
    used = user_storage_used(user=user)
    if used + adding > quota:
        raise StorageQuotaExceeded(
            f"Your storage is full: {used / 1e6:.1f} MB of {settings.USER_STORAGE_QUOTA_MB} MB used (resumes and "
            "recorded answers). Delete old resumes, or your data on the Your data page, to make room.")
