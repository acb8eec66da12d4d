"""A discrete-event simulation of an N-server first-come-first-served queue: pure, no Django.

Events (arrivals, departures, changes of the number of agents on duty) are kept in a heap and
processed in time order. Calls nobody can take yet wait in one FIFO line. When the number of
agents drops, nobody is interrupted: agents finishing a call leave instead of taking the next one.

Two ways to feed it:
- `simulate_erlang(rate, aht, agents, …)`: Poisson arrivals and exponential handling times, the
  assumptions of Erlang C, with a seeded `random.Random`, to check the formula;
- `simulate(arrivals, services, agents, …)`: given arrival times and handling times, e.g. the real
  escalation times of a team replayed with handling times from its time entries.

Times are floats in one unit of your choice (the staffing app uses hours).
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

_CAPACITY, _DEPARTURE, _ARRIVAL = 0, 1, 2  # order of simultaneous events


@dataclass(frozen=True, slots=True)
class SimResult:
    """What happened to the measured calls."""

    calls: int
    share_within: float  # share of measured calls that waited at most the target
    mean_wait: float
    utilisation: float  # busy agent time / agent time on duty, over the measured period
    waits: tuple[float, ...]


Staffing = int | Sequence[tuple[float, int]]
"""A fixed number of agents, or steps `(from_time, agents)` sorted by time (the first holds from
the start)."""


def _steps(agents: Staffing) -> list[tuple[float, int]]:
    steps = [(0.0, agents)] if isinstance(agents, int) else [(float(t), int(n)) for t, n in agents]
    if not steps or any(n < 0 for _, n in steps):
        raise ValueError("the number of agents must be given and cannot be negative")
    if any(b[0] < a[0] for a, b in itertools.pairwise(steps)):
        raise ValueError("staffing steps must be sorted by time")
    return steps


def simulate(
    arrivals: Sequence[float],
    services: Sequence[float],
    agents: Staffing,
    *,
    target_wait: float,
    measure_from: float = 0.0,
    horizon: float | None = None,
) -> SimResult:
    """Run the queue; calls arriving before `measure_from` warm it up and are not counted, nor
    is busy time before it. Utilisation is measured up to `horizon` (default: the last event)."""
    if len(arrivals) != len(services):
        raise ValueError("every arrival needs a handling time")
    if any(s < 0 for s in services):
        raise ValueError("handling times cannot be negative")
    steps = _steps(agents)
    events: list[tuple[float, int, int]] = []  # (time, kind, index)
    for i, at in enumerate(arrivals):
        events.append((float(at), _ARRIVAL, i))
    for i, (at, _) in enumerate(steps):
        events.append((at, _CAPACITY, i))
    heapq.heapify(events)
    capacity = steps[0][1]
    busy = 0
    line: deque[int] = deque()
    waits: list[float] = []
    busy_time = 0.0
    on_duty = 0.0
    now = min(events[0][0], measure_from) if events else measure_from
    last = now

    def account(until: float) -> None:
        nonlocal busy_time, on_duty, last
        lo = max(last, measure_from)
        hi = until if horizon is None else min(until, horizon)
        if hi > lo:
            busy_time += busy * (hi - lo)
            on_duty += max(capacity, busy) * (hi - lo)
        last = max(last, until)

    def start(i: int, at: float) -> None:
        nonlocal busy
        busy += 1
        if arrivals[i] >= measure_from:
            waits.append(at - arrivals[i])
        heapq.heappush(events, (at + services[i], _DEPARTURE, i))

    while events:
        now, kind, i = heapq.heappop(events)
        account(now)
        if kind == _ARRIVAL:
            line.append(i)
        elif kind == _DEPARTURE:
            busy -= 1
        else:
            capacity = steps[i][1]
        while line and busy < capacity:
            start(line.popleft(), now)
    if horizon is not None and horizon > last:
        account(horizon)
    within = sum(1 for w in waits if w <= target_wait + 1e-12)
    return SimResult(
        calls=len(waits),
        share_within=within / len(waits) if waits else 1.0,
        mean_wait=sum(waits) / len(waits) if waits else 0.0,
        utilisation=busy_time / on_duty if on_duty else 0.0,
        waits=tuple(waits),
    )


def poisson_arrivals(rate: float, until: float, rng: random.Random) -> list[float]:
    """Arrival times of a Poisson stream of `rate` per unit of time, from 0 to `until`."""
    if rate <= 0:
        return []
    times, t = [], rng.expovariate(rate)
    while t < until:
        times.append(t)
        t += rng.expovariate(rate)
    return times


def simulate_erlang(
    rate: float,
    aht: float,
    agents: int,
    *,
    target_wait: float,
    duration: float = 20_000.0,
    warmup: float = 200.0,
    seed: int = 1,
) -> SimResult:
    """The Erlang C queue (Poisson arrivals, exponential handling, `agents` fixed) simulated
    for `warmup + duration` units of time; only the calls after the warm-up are measured."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
    arrivals = poisson_arrivals(rate, warmup + duration, rng)
    services = [rng.expovariate(1 / aht) for _ in arrivals] if aht > 0 else [0.0] * len(arrivals)
    return simulate(
        arrivals,
        services,
        agents,
        target_wait=target_wait,
        measure_from=warmup,
        horizon=warmup + duration,
    )
