"""The pacer's decisions from frame counts (pure logic, simulated time)."""

from __future__ import annotations

from perform.stream.pacing import Pacer


def run(pacer: Pacer, capacity: float, seconds: int, *, fifo: bool) -> list[float]:
    """Feed the pacer one second at a time against a pipeline producing ``capacity`` fps.

    ``fifo``: a 1:1 pipeline that keeps a backlog (returns what it is sent, at most its
    capacity); else a subsampling one (returns ``min(input, capacity)``, drops the rest).
    """
    sent = received = 0
    backlog = 0.0
    rates = []
    for second in range(1, seconds + 1):
        rate = pacer.rate
        sent += round(rate)
        out = min(capacity, rate + (backlog if fifo else 0.0))
        if fifo:
            backlog = backlog + rate - out
        received += round(out)
        pacer.update(float(second), sent, received)
        rates.append(pacer.rate)
    return rates


def test_slow_pipeline_is_fed_a_little_less_than_it_produces():
    pacer = Pacer(max_fps=30.0)
    rates = run(pacer, 7.5, 60, fifo=False)
    assert rates[0] == 30.0
    assert all(r <= 7.5 * 1.25 for r in rates[10:])  # never far above what it eats
    assert min(rates[10:]) >= 2.0


def test_backlog_drains_against_a_fifo_pipeline():
    pacer = Pacer(max_fps=30.0)
    sent = received = 0
    backlog = 0.0
    depth = []
    for second in range(1, 121):
        rate = pacer.rate
        sent += round(rate)
        backlog = min(30.0, backlog + rate)  # Scope's input queue: 30, newest dropped
        out = min(7.5, backlog)
        backlog -= out
        received += round(out)
        pacer.update(float(second), sent, received)
        depth.append(backlog)
    assert max(depth[60:]) < max(depth[:10])  # the early backlog went away
    assert sum(depth[60:]) / 60 < 10  # and does not build up again


def test_fast_pipeline_keeps_the_full_rate_and_recovers_after_a_slow_spell():
    pacer = Pacer(max_fps=30.0)
    assert run(pacer, 60.0, 20, fifo=False)[-1] == 30.0
    assert pacer.changes == 0
    run(pacer, 7.5, 20, fifo=False)
    assert pacer.rate < 10
    # probed back up, 5% every 16 s (slow on purpose: each probe above capacity is latency)
    assert run(pacer, 60.0, 700, fifo=False)[-1] == 30.0


def test_new_counters_start_over():
    pacer = Pacer(max_fps=30.0)
    run(pacer, 7.5, 20, fifo=False)
    pacer.reset()
    assert pacer.rate == 30.0
    assert pacer.update(1.0, 0, 0) is None


def test_bench_slope_is_in_ms_per_10_s():
    from perform.bench.drills_scope import _slope_ms_per_10s

    rising = [(float(t), 500.0 + 2.0 * t) for t in range(30)]  # 2 ms per second
    assert abs(_slope_ms_per_10s(rising) - 20.0) < 1e-9
    flat = [(float(t), 500.0 + (3.0 if t % 2 else -3.0)) for t in range(30)]
    assert abs(_slope_ms_per_10s(flat)) < 1.0
