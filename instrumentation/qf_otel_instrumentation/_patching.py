"""Replacing attributes of classes or modules, remembered so `uninstall()` can put them back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MARK = "__qf_otel_original__"


@dataclass
class Patch:
    owner: Any
    name: str
    original: Any

    def undo(self) -> None:
        if getattr(self.owner, self.name, None) is not self.original:
            setattr(self.owner, self.name, self.original)


class Patches:
    """The patches one instrumentation applied; `undo()` reverts them all."""

    __slots__ = ("_applied",)

    def __init__(self) -> None:
        self._applied: list[Patch] = []

    def apply(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        """Sets `owner.name = make(original)` once; a second call on a patched attribute does
        nothing.

        Only the owner's own attribute is looked at (a subclass inheriting a patched method is not
        patched again).
        """
        original = (owner.__dict__.get(name) if isinstance(owner, type)
                    else getattr(owner, name, None))
        if original is None or getattr(original, MARK, None) is not None:
            return
        replacement = make(original)
        setattr(replacement, MARK, original)
        setattr(owner, name, replacement)
        self._applied.append(Patch(owner, name, original))

    def undo(self) -> None:
        while self._applied:
            self._applied.pop().undo()
