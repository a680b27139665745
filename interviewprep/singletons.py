"""Lazy, lock-guarded singletons for heavy objects (models, SDK clients), with a reset hook.

Nothing heavy happens at import time or in AppConfig.ready(): the first caller of `.get()` builds the object,
once per process, under a lock; `reset_all()` drops every instance (tests, prefork children).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

_registry: list[LazySingleton] = []  # type: ignore[type-arg]


class LazySingleton(Generic[T]):
    def __init__(self, factory: Callable[[], T], *, name: str) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._instance: T | None = None
        self.name = name
        _registry.append(self)

    def get(self) -> T:
        instance = self._instance
        if instance is not None:
            return instance
        with self._lock:
            if self._instance is None:
                self._instance = self._factory()
            return self._instance

    @property
    def loaded(self) -> bool:
        return self._instance is not None

    def reset(self) -> None:
        with self._lock:
            self._instance = None


def reset_all() -> None:
    for singleton in _registry:
        singleton.reset()
