"""A cheap pre-check of JSON request bodies, for what the JSON parser itself handles badly.

``json.loads`` recurses (10,000 nested ``[`` is a RecursionError), raises ``UnicodeDecodeError`` on
invalid UTF-8 and ``ValueError`` on integers over 4,300 digits; FastAPI turns all three into a vague
400. This scan finds them first, with a position, so the API can answer 422 like any other
malformed JSON. Ordinary syntax errors are left to the parser (which names the position too).

Usage::

    json_problem(b'[[[[1]]]]', max_depth=3)    # ('nested deeper than 3 levels', 3)
    json_problem(b'{"a": 1}')                  # None
"""

from __future__ import annotations

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 100


def json_problem(
    body: bytes, max_depth: int = MAX_DEPTH, max_number_chars: int = MAX_NUMBER_CHARS
) -> tuple[str, int] | None:
    """``(reason, character position)`` of the first problem the JSON parser would not report well."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        return "invalid UTF-8", error.start
    depth = 0
    in_string = escaped = False
    number_start = -1
    for position, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char in "0123456789+-.eE":
            if number_start < 0:
                number_start = position
            elif position - number_start >= max_number_chars:
                return f"a number longer than {max_number_chars} characters", number_start
            continue
        number_start = -1
        if char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return f"nested deeper than {max_depth} levels", position
        elif char in "]}":
            depth -= 1
    return None
