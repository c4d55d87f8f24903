"""Errors the user can fix: the CLI prints them as one line and exits with code 2."""


class InputError(Exception):
    """Bad input (missing file, non-image, wrong size or mode, corrupt model...)."""
