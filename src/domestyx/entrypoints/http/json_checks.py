"""JSON bodies judged before anything parses them: nesting by a scan, then UTF-8, then syntax."""

from __future__ import annotations

import re

import msgspec

MAX_JSON_DEPTH = 32
# Only what changes nesting: brackets, and quotes/backslashes to know when we are in a string.
_STRUCTURE = re.compile(rb'[\[\]{}"\\]')
_OPEN, _CLOSE, _QUOTE, _ESCAPE = b"[{", b"]}", ord('"'), ord("\\")


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays/objects nest deeper than `limit`, found without parsing anything."""
    depth, in_string, skip_before = 0, False, -1
    for match in _STRUCTURE.finditer(body):
        at = match.start()
        if at < skip_before:
            continue  # the character a backslash escapes
        char = body[at]
        if in_string:
            if char == _ESCAPE:
                skip_before = at + 2
            elif char == _QUOTE:
                in_string = False
        elif char == _QUOTE:
            in_string = True
        elif char in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif char in _CLOSE:
            depth -= 1
    return False


def json_problem(body: bytes) -> tuple[str, str] | None:
    """(code, detail) of what is wrong with a JSON body, or None when it parses."""
    if too_deep(body):
        return "invalid-request", f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels."
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid-request", "The request body is not valid UTF-8 JSON."
    try:
        msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        return "invalid-request", f"The request body is not valid JSON: {str(exc)[:120]}"
    return None
