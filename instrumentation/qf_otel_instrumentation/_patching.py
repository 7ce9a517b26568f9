"""Replacing an attribute of a class or module, remembered so `uninstall()` can put it back."""

from __future__ import annotations

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


def patch(owner: Any, name: str, make: Any) -> Patch | None:
    """Sets `owner.name = make(original)` once; a second call on a patched attribute does nothing.

    Only the owner's own attribute is looked at (a subclass inheriting a patched method is not
    patched again).
    """
    original = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
    if original is None or getattr(original, MARK, None) is not None:
        return None
    replacement = make(original)
    setattr(replacement, MARK, original)
    setattr(owner, name, replacement)
    return Patch(owner, name, original)
