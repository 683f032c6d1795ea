"""A dict that works out each value the first time its key is asked for."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(dict[K, V], Generic[K, V]):
    """`memo[key]` is `compute(key)`, worked out once per distinct key and then kept (when
    `keeps(key)` says so)."""

    def __init__(self, compute: Callable[[K], V]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key: K) -> V:
        value = self.compute(key)
        if self.keeps(key):
            self[key] = value
        return value

    def keeps(self, key: K) -> bool:
        return True
