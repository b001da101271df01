"""Ctrl-C (a notebook's interrupt) stops training: `train` raises KeyboardInterrupt."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import lenet5


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="POSIX signals")
def test_sigint_stops_training_with_keyboard_interrupt(data_dir, tmp_path):
    assert threading.current_thread() is threading.main_thread()  # signals go to the main thread
    out = tmp_path / "interrupted.safetensors"
    # Python's own Ctrl-C handler, as in a terminal or a notebook: a process started in the
    # background by a non-interactive shell inherits SIGINT ignored, and Python then
    # installs no handler at all.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            # Five epochs of the paper's network: far more than the second it is given.
            lenet5.train(data_dir, arch="classic", epochs=5, threads=1, out=out)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert time.perf_counter() - start < 30
    assert not out.exists()  # stopped inside the first epoch: nothing saved
