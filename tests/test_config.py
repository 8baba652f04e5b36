"""Settings read from the environment, and the thread counts chosen for this machine."""

import subprocess
import sys
import time

import pytest

from qa.config import Settings, generation_threads, physical_cores, runnable_elsewhere
from qa.errors import QAError


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_bad_thread_count_is_refused(monkeypatch, value):
    monkeypatch.setenv("QA_THREADS", value)
    with pytest.raises(QAError, match=f"QA_THREADS={value}"):
        Settings.from_env()


def test_configured_threads_win(monkeypatch):
    monkeypatch.setenv("QA_THREADS", "3")
    assert Settings.from_env().threads == 3 and generation_threads(3) == 3


def test_a_busy_process_takes_a_core_from_generation():
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        assert runnable_elsewhere() >= 1
        assert 1 <= generation_threads() <= max(1, physical_cores() - 1)
    finally:
        busy.kill()
        busy.wait()
