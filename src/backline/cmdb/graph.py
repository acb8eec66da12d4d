"""Pure graph walks over the CMDB: what depends on a node (impact) and what a node depends on
(where to look for a cause). Nodes are ("ci", id) or ("service", id); an edge a → b means
"a relies on b" (a CI's dependency, or a service relying on each of its CIs). No ORM here."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping

Node = tuple[str, int]
Edges = Iterable[tuple[Node, Node]]


def adjacency(edges: Edges) -> tuple[dict[Node, set[Node]], dict[Node, set[Node]]]:
    """(relies-on, relied-on-by) adjacency maps of the edges."""
    out: dict[Node, set[Node]] = defaultdict(set)
    back: dict[Node, set[Node]] = defaultdict(set)
    for a, b in edges:
        if a != b:
            out[a].add(b)
            back[b].add(a)
    return out, back


def walk(
    start: Iterable[Node], neighbours: Mapping[Node, set[Node]], max_depth: int = 10
) -> dict[Node, int]:
    """Every node reachable from `start` with its distance in hops (start nodes are 0).
    Breadth first, so each node gets its shortest distance; cycles are safe."""
    dist: dict[Node, int] = {}
    queue: deque[Node] = deque()
    for node in start:
        if node not in dist:
            dist[node] = 0
            queue.append(node)
    while queue:
        node = queue.popleft()
        if dist[node] >= max_depth:
            continue
        for nxt in sorted(neighbours.get(node, ())):
            if nxt not in dist:
                dist[nxt] = dist[node] + 1
                queue.append(nxt)
    return dist


def downstream(start: Iterable[Node], edges: Edges, max_depth: int = 10) -> dict[Node, int]:
    """Nodes that rely on `start`, directly or not: what breaks when it breaks."""
    _, back = adjacency(edges)
    return walk(start, back, max_depth)


def upstream(start: Iterable[Node], edges: Edges, max_depth: int = 10) -> dict[Node, int]:
    """Nodes `start` relies on, directly or not: where a cause may sit."""
    out, _ = adjacency(edges)
    return walk(start, out, max_depth)
