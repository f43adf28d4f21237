"""The burst policy, driven by plain numbers as a fake monotonic clock (no sleeps)."""

from __future__ import annotations

import pytest

from core.policy import Budget, BurstPolicy, EndReason, Limits, Mode

T0 = 100.0
LIMITS = Limits(heartbeat_seconds=15.0, linger_seconds=0.25, max_events=100, max_bytes=10_000)


def _policy(
    mode: Mode, seconds: float = 55.0, limits: Limits = LIMITS, now: float = T0
) -> BurstPolicy:
    return BurstPolicy.start(mode, Budget(burst_seconds=seconds, margin_ms=1500), limits, now)


@pytest.mark.parametrize(
    ("budget", "mode", "expected"),
    [
        (Budget(55, 1500), Mode.STREAMING, 55.0),
        (Budget(55, 1500, max_seconds=10), Mode.STREAMING, 10.0),
        (Budget(20, 1500, max_seconds=30), Mode.STREAMING, 20.0),
        (Budget(55, 1500, remaining_ms=20_000), Mode.STREAMING, 18.5),
        (Budget(55, 1500, remaining_ms=20_000), Mode.BUFFERED, 18.5),
        (Budget(55, 1500, gateway_timeout_seconds=29), Mode.BUFFERED, 27.5),
        (Budget(55, 1500, gateway_timeout_seconds=29), Mode.STREAMING, 55.0),
        (
            Budget(55, 1500, 40, remaining_ms=30_000, gateway_timeout_seconds=29),
            Mode.BUFFERED,
            27.5,
        ),
        (
            Budget(55, 1500, 40, remaining_ms=30_000, gateway_timeout_seconds=29),
            Mode.STREAMING,
            28.5,
        ),
        (Budget(55, 500, 40, remaining_ms=30_000, gateway_timeout_seconds=29), Mode.BUFFERED, 28.5),
        (Budget(55, 1500, remaining_ms=1000), Mode.STREAMING, 0.0),
        (Budget(55, 1500, remaining_ms=1500), Mode.STREAMING, 0.0),
        (Budget(55, 1500, remaining_ms=0), Mode.BUFFERED, 0.0),
        (Budget(55, 1500, gateway_timeout_seconds=1), Mode.BUFFERED, 0.0),
        (Budget(55, 1500, max_seconds=0), Mode.STREAMING, 0.0),
        (Budget(55, 1500, max_seconds=-3), Mode.STREAMING, 0.0),
        (Budget(55, 0, remaining_ms=20_000, gateway_timeout_seconds=29), Mode.BUFFERED, 20.0),
    ],
    ids=[
        "burst-length-only",
        "client-max-seconds-wins",
        "burst-length-wins-over-client",
        "remaining-minus-margin-wins",
        "remaining-applies-in-buffered",
        "gateway-minus-margin-wins-buffered",
        "gateway-ignored-streaming",
        "all-gateway-wins-buffered",
        "all-remaining-wins-streaming",
        "smaller-margin",
        "remaining-below-margin-is-zero",
        "remaining-equal-margin-is-zero",
        "no-time-left",
        "gateway-below-margin-is-zero",
        "client-asks-zero",
        "negative-client-is-zero",
        "no-margin",
    ],
)
def test_budget_seconds(budget: Budget, mode: Mode, expected: float) -> None:
    assert budget.seconds(mode) == expected


def test_margin_is_not_applied_to_client_or_burst_length() -> None:
    budget = Budget(burst_seconds=12, margin_ms=1500, max_seconds=10)

    assert budget.seconds(Mode.BUFFERED) == 10.0


@pytest.mark.parametrize("mode", list(Mode), ids=[m.value for m in Mode])
def test_deadline_is_start_plus_budget(mode: Mode) -> None:
    budget = Budget(burst_seconds=55, margin_ms=1500, remaining_ms=20_000)

    policy = BurstPolicy.start(mode, budget, LIMITS, T0)

    assert policy.started == T0
    assert policy.deadline == T0 + 18.5
    assert policy.deadline_ms == 18_500
    assert policy.last_write == T0
    assert (policy.events, policy.bytes, policy.first_event_at) == (0, 0, None)


def test_deadline_ms_for_zero_budget_and_immediate_end() -> None:
    policy = _policy(Mode.STREAMING, seconds=0)

    assert policy.deadline_ms == 0
    assert policy.end_reason(T0) is EndReason.DEADLINE
    assert policy.wait_seconds(T0) == 0.0


def test_deadline_ms_rounds_to_milliseconds() -> None:
    budget = Budget(burst_seconds=55, margin_ms=1500, max_seconds=12.3456)

    policy = BurstPolicy.start(Mode.STREAMING, budget, LIMITS, 0.5)

    assert policy.deadline_ms == 12_346


@pytest.mark.parametrize("mode", list(Mode), ids=[m.value for m in Mode])
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (T0, None),
        (T0 + 54.5, None),
        (T0 + 55.0, EndReason.DEADLINE),
        (T0 + 600.0, EndReason.DEADLINE),
    ],
    ids=["at-start", "before-deadline", "at-deadline", "long-after"],
)
def test_deadline_ends_burst(mode: Mode, now: float, expected: EndReason | None) -> None:
    assert _policy(mode).end_reason(now) is expected


def test_streaming_ping_due_after_heartbeat_of_silence() -> None:
    policy = _policy(Mode.STREAMING)

    assert policy.ping_due(T0) is False
    assert policy.ping_due(T0 + 14.5) is False
    assert policy.ping_due(T0 + 15.0) is True

    policy.wrote(T0 + 15.0, events=0, nbytes=8)

    assert policy.ping_due(T0 + 15.0) is False
    assert policy.ping_due(T0 + 29.5) is False
    assert policy.ping_due(T0 + 30.0) is True


def test_streaming_event_write_postpones_ping() -> None:
    policy = _policy(Mode.STREAMING)

    policy.wrote(T0 + 10.0, events=1, nbytes=40)

    assert policy.ping_due(T0 + 15.0) is False
    assert policy.ping_due(T0 + 25.0) is True


def test_buffered_never_pings() -> None:
    policy = _policy(Mode.BUFFERED)

    assert policy.ping_due(T0 + 15.0) is False
    assert policy.ping_due(T0 + 54.0) is False


def test_streaming_never_ends_with_batch() -> None:
    policy = _policy(Mode.STREAMING)

    policy.wrote(T0 + 1.0, events=1, nbytes=40)

    assert policy.end_reason(T0 + 1.0 + 0.25) is None
    assert policy.end_reason(T0 + 50.0) is None


def test_buffered_ends_with_batch_after_linger_from_first_event() -> None:
    policy = _policy(Mode.BUFFERED)

    policy.wrote(T0 + 10.0, events=1, nbytes=40)
    policy.wrote(T0 + 10.125, events=2, nbytes=80)

    assert policy.first_event_at == T0 + 10.0
    assert policy.end_reason(T0 + 10.125) is None
    assert policy.end_reason(T0 + 10.25) is EndReason.BATCH
    assert (policy.events, policy.bytes) == (3, 120)


def test_buffered_control_frames_do_not_start_linger() -> None:
    policy = _policy(Mode.BUFFERED)

    policy.wrote(T0, events=0, nbytes=200)

    assert policy.first_event_at is None
    assert policy.end_reason(T0 + 30.0) is None
    assert policy.wait_seconds(T0 + 30.0) == 25.0


def test_buffered_deadline_before_linger_ends_with_deadline() -> None:
    policy = _policy(Mode.BUFFERED, seconds=10)

    policy.wrote(T0 + 9.875, events=1, nbytes=40)

    assert policy.wait_seconds(T0 + 9.875) == 0.125
    assert policy.end_reason(T0 + 10.0) is EndReason.DEADLINE


@pytest.mark.parametrize("mode", list(Mode), ids=[m.value for m in Mode])
def test_limit_on_max_events(mode: Mode) -> None:
    limits = Limits(heartbeat_seconds=15.0, linger_seconds=5.0, max_events=3, max_bytes=10_000)
    policy = _policy(mode, limits=limits)

    policy.wrote(T0 + 1.0, events=2, nbytes=20)
    assert policy.end_reason(T0 + 1.0) is None

    policy.wrote(T0 + 2.0, events=1, nbytes=10)
    assert policy.end_reason(T0 + 2.0) is EndReason.LIMIT


@pytest.mark.parametrize("mode", list(Mode), ids=[m.value for m in Mode])
def test_limit_on_max_bytes_counts_every_write(mode: Mode) -> None:
    limits = Limits(heartbeat_seconds=15.0, linger_seconds=5.0, max_events=100, max_bytes=1000)
    policy = _policy(mode, limits=limits)

    policy.wrote(T0, events=0, nbytes=600)
    policy.wrote(T0 + 1.0, events=1, nbytes=399)
    assert policy.end_reason(T0 + 1.0) is None

    policy.wrote(T0 + 2.0, events=0, nbytes=1)
    assert policy.end_reason(T0 + 2.0) is EndReason.LIMIT


@pytest.mark.parametrize("mode", list(Mode), ids=[m.value for m in Mode])
def test_limit_wins_over_deadline(mode: Mode) -> None:
    limits = Limits(heartbeat_seconds=15.0, linger_seconds=0.25, max_events=1, max_bytes=10_000)
    policy = _policy(mode, limits=limits)

    policy.wrote(T0 + 1.0, events=1, nbytes=10)

    assert policy.end_reason(T0 + 55.0) is EndReason.LIMIT


@pytest.mark.parametrize(
    ("last_write", "now", "expected"),
    [
        (T0, T0, 15.0),
        (T0, T0 + 10.0, 5.0),
        (T0 + 48.0, T0 + 50.0, 5.0),
        (T0, T0 + 20.0, 0.0),
        (T0 + 50.0, T0 + 56.0, 0.0),
    ],
    ids=[
        "heartbeat-from-start",
        "heartbeat-partly-gone",
        "deadline-nearer",
        "ping-overdue",
        "past",
    ],
)
def test_streaming_wait_bounded_by_heartbeat_and_deadline(
    last_write: float, now: float, expected: float
) -> None:
    policy = _policy(Mode.STREAMING)
    policy.wrote(last_write, events=0, nbytes=8)

    assert policy.wait_seconds(now) == expected


def test_buffered_wait_bounded_by_deadline_before_first_event() -> None:
    policy = _policy(Mode.BUFFERED)

    assert policy.wait_seconds(T0) == 55.0
    assert policy.wait_seconds(T0 + 40.0) == 15.0
    assert policy.wait_seconds(T0 + 60.0) == 0.0


def test_buffered_wait_bounded_by_linger_after_first_event() -> None:
    policy = _policy(Mode.BUFFERED)

    policy.wrote(T0 + 10.0, events=1, nbytes=40)

    assert policy.wait_seconds(T0 + 10.0) == 0.25
    assert policy.wait_seconds(T0 + 10.125) == 0.125
    assert policy.wait_seconds(T0 + 11.0) == 0.0


@pytest.mark.parametrize(
    ("spread", "max_seconds", "expected"),
    [
        (0.0, None, 50.0),
        (0.5, None, 47.5),
        (0.99, None, 45.05),
        (0.99, 30.0, 30.0),
        (0.5, 49.0, 47.5),
    ],
    ids=["none", "half", "most", "client-limit-kept", "shorter-of-both"],
)
def test_only_the_configured_length_is_spread(
    spread: float, max_seconds: float | None, expected: float
) -> None:
    budget = Budget(burst_seconds=50, margin_ms=0, max_seconds=max_seconds, spread=spread)
    assert budget.seconds(Mode.STREAMING) == pytest.approx(expected)
