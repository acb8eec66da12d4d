"""Known-error panels on the ticket page (matching workarounds) and reactions to ticket signals."""


def register() -> None:
    """Called from ProblemsConfig.ready()."""
