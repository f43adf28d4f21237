"""Cursors: the accepted forms, their string round-trips, Redis ordering, and what is refused."""

from __future__ import annotations

import pytest

from core.cursor import ZERO, Cursor, StreamId, parse_cursor, parse_start, valid_epoch
from core.errors import InvalidInput

MAX = 2**64 - 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1795745196745-0.k3f9q2ab", Cursor(StreamId(1795745196745, 0), "k3f9q2ab")),
        ("1795745196745-3", Cursor(StreamId(1795745196745, 3), None)),
        ("0-0", Cursor(StreamId(0, 0), None)),
        ("0-1.e", Cursor(StreamId(0, 1), "e")),
        (f"{MAX}-{MAX}", Cursor(StreamId(MAX, MAX), None)),
        (f"{MAX}-{MAX}.{'z' * 32}", Cursor(StreamId(MAX, MAX), "z" * 32)),
        ("5-7.0123456789", Cursor(StreamId(5, 7), "0123456789")),
    ],
    ids=["full", "bare", "zero", "short-epoch", "max-parts", "max-epoch", "digit-epoch"],
)
def test_parse_cursor_accepts(text: str, expected: Cursor) -> None:
    cursor = parse_cursor(text)

    assert cursor == expected
    assert str(cursor) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("earliest", "earliest"),
        ("latest", "latest"),
        ("12-4.abc", Cursor(StreamId(12, 4), "abc")),
        ("12-4", Cursor(StreamId(12, 4), None)),
    ],
    ids=["earliest", "latest", "full", "bare"],
)
def test_parse_start_accepts(text: str, expected: object) -> None:
    assert parse_start(text) == expected


REJECTED = [
    ("", "empty"),
    (" ", "space"),
    (" 1-0", "leading-space"),
    ("1-0 ", "trailing-space"),
    ("1 -0", "inner-space"),
    ("1-0\n", "trailing-newline"),
    ("1-0.abc\n", "trailing-newline-after-epoch"),
    ("\t1-0", "leading-tab"),
    ("-1-0", "negative-ms"),
    ("1--1", "negative-seq"),
    ("+1-0", "plus-sign"),
    ("a-0", "letter-ms"),
    ("1-b", "letter-seq"),
    ("0x1-0", "hex"),
    ("1_0-0", "underscore-digits"),
    ("1e3-0", "exponent"),
    ("1", "ms-only"),
    ("1-", "missing-seq"),
    ("-0", "missing-ms"),
    ("1-0-0", "three-parts"),
    ("1.0", "dot-instead-of-dash"),
    ("1-0.", "empty-epoch"),
    ("1-0.ABC", "upper-case-epoch"),
    ("1-0.aBc", "mixed-case-epoch"),
    ("1-0.a-b", "dash-in-epoch"),
    ("1-0.a.b", "two-epochs"),
    ("1-0.a_b", "underscore-in-epoch"),
    (f"1-0.{'a' * 33}", "overlong-epoch"),
    (f"{MAX + 1}-0", "ms-over-u64"),
    (f"0-{MAX + 1}", "seq-over-u64"),
    (f"{'9' * 21}-0", "ms-21-digits"),
    (f"0-{'0' * 21}", "seq-21-digits"),
    ("\u0661-0", "arabic-indic-digit-ms"),
    ("0-\u0661", "arabic-indic-digit-seq"),
    ("\uff11-0", "fullwidth-digit"),
    ("1-0.\u00e9", "non-ascii-epoch"),
    ("Earliest", "capitalised-earliest"),
    ("LATEST", "upper-case-latest"),
    ("latest ", "latest-trailing-space"),
    ("earliest\n", "earliest-trailing-newline"),
    ("*", "redis-auto-id"),
    ("$", "redis-dollar"),
]


@pytest.mark.parametrize("text", [text for text, _ in REJECTED], ids=[i for _, i in REJECTED])
def test_parse_start_rejects(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_start(text)

    assert caught.value.code == "invalid_cursor"


@pytest.mark.parametrize(
    "text",
    ["earliest", "latest", "", "1-0\n", "\u0661-0"],
    ids=["earliest", "latest", "empty", "trailing-newline", "unicode-digit"],
)
def test_parse_cursor_rejects_symbolic_and_malformed(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_cursor(text)

    assert caught.value.code == "invalid_cursor"


def test_rejection_names_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_cursor("nope", field="after")

    assert caught.value.detail.startswith("after: 'nope'")


def test_rejection_detail_is_truncated() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_cursor("x" * 10_000)

    assert "x" * 80 in caught.value.detail
    assert "x" * 81 not in caught.value.detail


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        (StreamId(1, 9), StreamId(1, 10)),
        (StreamId(1, 99), StreamId(2, 0)),
        (StreamId(9, 0), StreamId(10, 0)),
        (StreamId(0, 0), StreamId(0, 1)),
        (StreamId(1795745196745, MAX), StreamId(1795745196746, 0)),
    ],
    ids=["seq-numeric-not-text", "ms-before-seq", "ms-numeric-not-text", "zero", "seq-wraps"],
)
def test_stream_ids_order_like_redis(lower: StreamId, higher: StreamId) -> None:
    assert lower < higher
    assert higher > lower
    assert sorted([higher, lower]) == [lower, higher]


def test_stream_id_equality_and_zero() -> None:
    assert StreamId(3, 4) == StreamId(3, 4)
    assert StreamId(3, 4) != StreamId(4, 3)
    assert StreamId(0, 0) == ZERO
    assert str(ZERO) == "0-0"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0-0", StreamId(0, 0)),
        ("1795745196745-0", StreamId(1795745196745, 0)),
        ("1795745196745-12", StreamId(1795745196745, 12)),
        (f"{MAX}-{MAX}", StreamId(MAX, MAX)),
    ],
    ids=["zero", "seq-0", "seq-12", "max"],
)
def test_stream_id_parse_round_trips(text: str, expected: StreamId) -> None:
    parsed = StreamId.parse(text)

    assert parsed == expected
    assert str(parsed) == text


@pytest.mark.parametrize(
    ("cursor", "text"),
    [
        (Cursor(StreamId(7, 2), "ep"), "7-2.ep"),
        (Cursor(StreamId(7, 2), None), "7-2"),
    ],
    ids=["with-epoch", "bare"],
)
def test_cursor_str(cursor: Cursor, text: str) -> None:
    assert str(cursor) == text
    assert parse_cursor(text) == cursor


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("k3f9q2ab", True),
        ("a", True),
        ("z" * 32, True),
        ("", False),
        ("z" * 33, False),
        ("K3F9", False),
        ("a-b", False),
        ("a\n", False),
        ("\u0661", False),
    ],
    ids=["typical", "one-char", "32-chars", "empty", "33-chars", "upper", "dash", "newline", "uni"],
)
def test_valid_epoch(text: str, valid: bool) -> None:
    assert valid_epoch(text) is valid
