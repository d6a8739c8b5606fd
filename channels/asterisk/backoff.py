"""Capped, jittered exponential backoff for reconnecting."""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """Delay before the n-th retry: ``min(max, initial * 2**n)``, jittered into its upper half.

    "Equal jitter": several backends restarting together must not hit Asterisk in lockstep, yet the
    delay never collapses to zero (a hot reconnect loop against a flapping server).
    """

    def __init__(self, initial: float, maximum: float, rng: Callable[[], float] = random.random) -> None:
        self._initial = initial
        self._maximum = maximum
        self._rng = rng
        self.attempt = 0

    def next_delay(self) -> float:
        ceiling = min(self._maximum, self._initial * 2.0 ** min(self.attempt, 32))
        self.attempt += 1
        return ceiling / 2 + self._rng() * ceiling / 2

    def reset(self) -> None:
        self.attempt = 0
