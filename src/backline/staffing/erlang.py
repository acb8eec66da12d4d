"""Erlang C queueing formulas for staffing: pure functions, no Django.

The model (M/M/N): calls arrive as a Poisson stream at rate λ, each needs an exponentially
distributed handling time with mean AHT, N identical agents take them first come, first served,
and nobody gives up. The offered load is A = λ·AHT (in Erlangs, the number of agents kept busy on
average). The queue is stable only while N > A.

Units: λ and AHT must use the same time unit (λ per hour with AHT in hours, or per minute with
minutes); the waiting-time target `t` uses the unit of AHT.

Erlang C is computed from Erlang B with the recurrence B(0) = 1,
B(n) = A·B(n−1) / (n + A·B(n−1)), and C = N·B / (N − A·(1 − B)); every step stays within [0, 1],
so there are no factorials or powers to overflow and hundreds of agents are fine.
"""

from __future__ import annotations

import math

MAX_AGENTS = 100_000


def offered_load(rate: float, aht: float) -> float:
    """A = λ·AHT in Erlangs."""
    if rate < 0 or aht < 0:
        raise ValueError("the arrival rate and the handling time cannot be negative")
    return rate * aht


def erlang_b(agents: int, load: float) -> float:
    """Probability that an arriving call finds all `agents` busy in a loss system (Erlang B)."""
    if agents < 0 or load < 0:
        raise ValueError("agents and load cannot be negative")
    b = 1.0
    for n in range(1, agents + 1):
        b = load * b / (n + load * b)
    return b


def erlang_c(agents: int, load: float) -> float:
    """Probability that a call has to wait (Erlang C); 1.0 when the queue is unstable (N ≤ A)."""
    if load == 0:
        return 0.0
    if agents <= load:
        return 1.0
    b = erlang_b(agents, load)
    return agents * b / (agents - load * (1 - b))


def service_level(agents: int, load: float, target_time: float, aht: float) -> float:
    """Share of calls answered within `target_time`: 1 − C·exp(−(N − A)·t / AHT); 0 if N ≤ A."""
    if load == 0:
        return 1.0
    if agents <= load:
        return 0.0
    if aht <= 0:
        raise ValueError("the handling time must be positive when there is load")
    c = erlang_c(agents, load)
    return max(0.0, 1.0 - c * math.exp(-(agents - load) * target_time / aht))


def average_speed_of_answer(agents: int, load: float, aht: float) -> float:
    """Mean wait over all calls, C·AHT / (N − A), in the unit of AHT; infinite if N ≤ A."""
    if load == 0:
        return 0.0
    if agents <= load:
        return math.inf
    return erlang_c(agents, load) * aht / (agents - load)


def occupancy(agents: int, load: float) -> float:
    """Share of the agents' time spent handling calls, A / N (capped at 1)."""
    if agents <= 0:
        return 1.0 if load > 0 else 0.0
    return min(1.0, load / agents)


def required_agents(
    rate: float,
    aht: float,
    *,
    target_share: float,
    target_time: float,
    max_occupancy: float | None = None,
) -> int:
    """The smallest N > A whose service level reaches `target_share` within `target_time`, and
    whose occupancy A/N stays at or under `max_occupancy` when one is given; 0 with no load."""
    if not 0 < target_share < 1:
        raise ValueError("the target share must be between 0 and 1 (exclusive)")
    if target_time < 0:
        raise ValueError("the target time cannot be negative")
    if max_occupancy is not None and not 0 < max_occupancy <= 1:
        raise ValueError("the maximum occupancy must be in (0, 1]")
    load = offered_load(rate, aht)
    if load == 0:
        return 0
    agents = max(1, math.floor(load) + 1)
    if max_occupancy is not None:
        agents = max(agents, math.ceil(load / max_occupancy - 1e-12))
        if agents <= load:
            agents += 1
    while service_level(agents, load, target_time, aht) < target_share:
        agents += 1
        if agents > MAX_AGENTS:
            raise ValueError(f"more than {MAX_AGENTS} agents needed; check the inputs")
    return agents
