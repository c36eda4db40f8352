"""The nesting scan agrees with the real depth of any JSON, strings full of brackets included."""

from __future__ import annotations

import json
import time
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domestyx.entrypoints.http.json_checks import MAX_JSON_DEPTH, json_problem, too_deep

TRICKY_TEXT = st.text(alphabet='[]{}"\\ab\u00e9\u2028', max_size=12)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY_TEXT, inner, max_size=3),
    max_leaves=40,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


@given(VALUES, st.integers(min_value=0, max_value=6), st.booleans())
def test_the_scan_finds_exactly_the_nesting_depth(value: Any, limit: int, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert too_deep(body, limit) is (depth(value) > limit)


def test_the_limit_itself_passes_and_one_more_is_refused() -> None:
    assert json_problem(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH) is None
    deeper = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
    assert json_problem(deeper) is not None


def test_a_body_of_brackets_is_judged_fast_without_parsing() -> None:
    started = time.perf_counter()
    for body in (b"[" * 65_536, b'"\\' * 32_768, b'["' + b"\\[" * 32_000):
        json_problem(body)
    assert time.perf_counter() - started < 1.0


def test_each_malformation_is_named() -> None:
    bad_utf8, bad_syntax = json_problem(b'{"a": "\xff"}'), json_problem(b"{")
    assert bad_utf8 is not None and "UTF-8" in bad_utf8[1]
    assert bad_syntax is not None and "not valid JSON" in bad_syntax[1]
    assert json_problem(b'{"a": [1, {"b": "]]]"}]}') is None
