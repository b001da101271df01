"""Training and inference release the GIL: another Python thread keeps running."""

from __future__ import annotations

import threading
import time

import numpy as np

import lenet5


def _ticks_while(work):
    """Runs `work` in a thread; returns (its duration, the longest pause of this
    thread's 1 ms ticks meanwhile)."""
    done = threading.Event()
    box = {}

    def run():
        start = time.perf_counter()
        try:
            box["result"] = work()
        finally:
            box["seconds"] = time.perf_counter() - start
            done.set()

    t = threading.Thread(target=run)
    ticks = [time.perf_counter()]
    t.start()
    while not done.is_set():
        time.sleep(0.001)
        ticks.append(time.perf_counter())
    t.join()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    return box["seconds"], max(gaps), len(ticks)


def test_another_thread_runs_while_train_trains(data_dir):
    seconds, longest, ticks = _ticks_while(
        lambda: lenet5.train(data_dir, arch="classic", epochs=1, limit=20000, threads=1)
    )
    # Holding the GIL would freeze this thread for the whole run (one pause ~ seconds).
    assert seconds > 0.5, seconds
    assert longest < seconds / 4, (longest, seconds)
    assert ticks > 50


def test_another_thread_runs_while_predict_predicts(mnist):
    model = lenet5.Model.bundled("classic")
    # One call long enough to watch (about 1.5 s), sized from this machine's speed:
    # a fast CPU predicts 30,000 images in a quarter of a second.
    start = time.perf_counter()
    model.predict(mnist.test_images)
    per_copy = time.perf_counter() - start
    copies = min(40, max(3, int(np.ceil(1.5 / max(per_copy, 1e-3)))))
    images = np.concatenate([mnist.test_images] * copies)
    seconds, longest, ticks = _ticks_while(lambda: model.predict(images))
    assert seconds > 0.5, seconds
    # Holding the GIL would freeze this thread for the whole call; with the GIL released
    # it still competes with the engine's threads for the two cores of a small machine
    # (pauses of a quarter of a second were seen), hence half, not a quarter.
    assert longest < seconds / 2, (longest, seconds)
    assert ticks > 50
