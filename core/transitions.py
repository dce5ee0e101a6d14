"""What the status machines of submissions and of runs share."""

from collections import deque

from core.errors import TransitionError


def status_path(transitions: dict[str, set[str]], start: str, goal: str) -> list[str]:
    """The statuses a machine passes through from ``start`` to ``goal``, the shortest way (``goal`` included, ``start``
    not: none when they are the same); TransitionError when there is no way."""
    ways: dict[str, list[str]] = {start: []}
    queue = deque([start])
    while queue:
        status = queue.popleft()
        if status == goal:
            return ways[status]
        for after in sorted(transitions[status]):
            if after not in ways:
                ways[after] = [*ways[status], after]
                queue.append(after)
    raise TransitionError(f"no way from {start} to {goal}")
