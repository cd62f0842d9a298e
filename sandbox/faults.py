"""Injected failures, so tests can prove the connector survives what the real network does."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field

KINDS = ("500", "503", "504_after_delay", "reset", "truncated_json", "malformed_json", "html_error", "expire_token")


@dataclass
class Fault:
    """Applies `kind` to requests whose path matches `path` (a regex) and, if given, whose mall is `mall`.

    Fires on every `nth` matching request (nth=3: the 3rd, 6th, ...), or with probability `rate`; stops after
    `times` firings when set.
    """

    kind: str
    path: str = ".*"
    mall: str | None = None
    rate: float = 0.0
    nth: int = 0
    times: int | None = None
    delay: float = 1.0  # seconds to wait before a 504
    id: int = 0
    seen: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if not self.rate and not self.nth:
            raise ValueError("a fault needs `rate` (0..1) or `nth` (>= 1)")
        self._pattern = re.compile(self.path)

    def public(self) -> dict:
        return {
            k: getattr(self, k)
            for k in ("id", "kind", "path", "mall", "rate", "nth", "times", "delay", "seen", "fired")
        }


@dataclass
class Faults:
    seed: int
    rules: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_id: int = 1

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def add(self, **spec: object) -> Fault:
        with self.lock:
            fault = Fault(**spec, id=self.next_id)  # type: ignore[arg-type]
            self.next_id += 1
            self.rules.append(fault)
            return fault

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def pick(self, path: str, mall: str | None, *, before_auth: bool = False) -> Fault | None:
        """`expire_token` faults act before the token check (the token runs out as the call arrives); every other
        kind after it, so a refused call never sees them."""
        with self.lock:
            for fault in self.rules:
                if (fault.kind == "expire_token") != before_auth:
                    continue
                if fault.times is not None and fault.fired >= fault.times:
                    continue
                if fault.mall and fault.mall != mall or not fault._pattern.search(path):
                    continue
                fault.seen += 1
                hit = (fault.nth and fault.seen % fault.nth == 0) or (fault.rate and self._rng.random() < fault.rate)
                if hit:
                    fault.fired += 1
                    return fault
            return None
