"""Ids as clients write them in paths and token claims."""

MAX_ID = 2**63 - 1  # the largest value of the id columns (64-bit signed)


def parse_id(raw: str) -> int | None:
    """A string of ASCII digits as an int; None for anything else, and for more digits than any
    id has (Python refuses to convert strings of over 4,300 digits at all)."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    significant = raw.lstrip("0") or "0"
    return int(significant) if len(significant) <= 19 else None
