"""Problem panels on the ticket page (linked problems, link to a problem)."""


def register() -> None:
    """Called from ProblemsConfig.ready()."""
