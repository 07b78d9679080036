"""The one exception type for problems a user can cause and fix."""


class ExplorerError(Exception):
    """A problem with the user's input or environment, with a message written for a person."""
