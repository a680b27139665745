"""Each app's share of what is stored about a user, for the export and the delete of a user's data.

The account owns the user, but interviews, mastery and resume indexes belong to apps above it, which this app does
not import. Each of those apps registers its part here in its AppConfig.ready: how to export it and how to delete
it. `accounts.selectors.user_data_export` and `accounts.services.user_data_delete` run every registered part around
the account's own rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accounts.models import User


@dataclass
class UserDataDeleted:
    """What a part deleted (rows per kind) and the files to remove once the deletion has committed."""

    counts: dict[str, int] = field(default_factory=dict)
    after_commit: Callable[[], None] | None = None


@dataclass(frozen=True)
class ExportFile:
    """A stored file that goes into the export archive at `name`; `prefix` is written before the file's bytes (a
    WAV header in front of raw PCM)."""

    name: str
    path: Path
    prefix: bytes = b""


@dataclass(frozen=True)
class UserDataPart:
    app: str
    order: int                                          # parts run in this order, lowest first
    export: Callable[[User], dict[str, Any]]            # keys of the export document
    delete: Callable[[User], UserDataDeleted]           # runs inside the deleting transaction
    files: Callable[[User], list[ExportFile]] | None = None  # files for the export archive (recordings)


_lock = threading.Lock()
_parts: dict[str, UserDataPart] = {}


def user_data_part_register(part: UserDataPart) -> None:
    """Register (or replace) an app's part."""
    with _lock:
        _parts[part.app] = part


def user_data_parts() -> list[UserDataPart]:
    return sorted(_parts.values(), key=lambda p: p.order)
