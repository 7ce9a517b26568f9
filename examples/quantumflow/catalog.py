"""What the service seeds and the load generator relies on: catalog size, words, demo accounts.

Kept apart from `db` so that the load generator (which talks HTTP only) does not import
SQLAlchemy.
"""

from __future__ import annotations

CATALOG_SIZE = 20_000
USER_COUNT = 50
WORDS = (
    "qubit", "photon", "lattice", "resonator", "cryostat", "laser", "coupler", "annealer",
    "gate", "circuit", "detector", "amplifier", "waveguide", "magnet", "trap", "cavity",
    "sensor", "module", "cable", "shield", "filter", "mirror", "crystal", "oscillator",
)


def demo_password(username: str) -> str:
    """The demo users' passwords are derived from their names so the load generator knows them."""
    return f"correct-horse-{username}"


def demo_usernames() -> list[str]:
    return [f"user{n:03d}" for n in range(1, USER_COUNT + 1)]
