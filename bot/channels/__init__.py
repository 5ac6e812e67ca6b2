"""Messenger adapters: each translates between its platform and the neutral core types."""


class ChannelError(Exception):
    """A messenger cannot be started or stopped working (a refused token, …)."""
