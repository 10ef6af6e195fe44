class JSONDecodeError(ValueError):
    """Raised when the input is not a valid JSON document."""

def minify(text: str) -> str:
    """Return `text` with all insignificant whitespace removed."""

def is_valid(text: str) -> bool:
    """Return True if `text` is exactly one valid JSON document."""
