"""User-facing errors. The CLI prints them as one line and exits with code 2; asserts are for internal invariants."""


class WordbridgeError(Exception):
    """Base class: a problem the user can fix (bad input, bad config, missing asset)."""

    exit_code = 2


class ConfigError(WordbridgeError):
    """Unknown or invalid configuration key or value."""


class DataError(WordbridgeError):
    """Malformed, missing, mismatched or wrongly encoded input data."""


class CheckpointError(WordbridgeError):
    """A checkpoint that is corrupt, foreign, or from another model."""


class AssetError(WordbridgeError):
    """An offline asset that is missing or could not be installed."""


def choices_hint(value: object, valid) -> str:
    """`Invalid X 'foo'. Valid: a, b, c.` style suffix listing valid choices."""
    return f"'{value}'. Valid: {', '.join(sorted(str(v) for v in valid))}."


class DiskFullError(WordbridgeError):
    """No space left (ENOSPC) or the disk quota exceeded (EDQUOT) while writing; the previous file is intact."""
