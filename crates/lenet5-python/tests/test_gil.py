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
        lambda: lenet5.train(data_dir, arch="classic", epochs=1, limit=6000, threads=1)
    )
    # Holding the GIL would freeze this thread for the whole run (one pause ~ seconds).
    assert seconds > 0.5, seconds
    assert longest < seconds / 4, (longest, seconds)
    assert ticks > 50


def test_another_thread_runs_while_predict_predicts(mnist):
    model = lenet5.Model.bundled("classic")
    images = np.concatenate([mnist.test_images] * 3)  # one call of 30,000 images
    seconds, longest, ticks = _ticks_while(lambda: model.predict(images))
    assert seconds > 0.5, seconds
    assert longest < seconds / 4, (longest, seconds)
