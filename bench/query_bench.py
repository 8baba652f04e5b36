"""Warm `qa search` and `qa ask` on seeds/, wall time from process start, ONNX against torch.

    python bench/query_bench.py [--runs 5]

Indexes seeds/ into a temporary QA_HOME, runs each command once to warm the disk cache (and
make the one-time ONNX export), then --runs times per embedding runtime, as a user would from a
shell. Prints the median wall seconds and peak RSS of each, and the torch/ONNX ratio; the ONNX
runtime is the default, QA_EMBED_RUNTIME=torch the sentence-transformers reference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMANDS = {
    "search": ["search", "prisoner exchange"],
    "ask": ["ask", "What prisoner exchanges were agreed?", "--no-stream"],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="qa-query-bench-"))
    env = {**os.environ, "QA_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    env.pop("QA_EMBED_MODEL", None)
    qa = [sys.executable, "-m", "qa"]
    subprocess.run([*qa, "index", str(REPO / "seeds")], env=env, check=True, capture_output=True)
    print(f"{'command':<8} {'runtime':<8} {'median s':>9} {'min s':>7} {'peak RSS MB':>12}")
    medians: dict[tuple[str, str], float] = {}
    for name, command in COMMANDS.items():
        for runtime in ("onnx", "torch"):
            run_env = {**env, "QA_EMBED_RUNTIME": runtime}
            timed(qa + command, run_env)  # warm-up, not counted
            walls, peak = [], 0.0
            for _ in range(args.runs):
                wall, rss = timed(qa + command, run_env)
                walls.append(wall)
                peak = max(peak, rss)
            medians[name, runtime] = statistics.median(walls)
            print(f"{name:<8} {runtime:<8} {medians[name, runtime]:>9.2f} {min(walls):>7.2f} {peak:>12.0f}")
    for name in COMMANDS:
        print(f"{name}: torch / onnx wall = {medians[name, 'torch'] / medians[name, 'onnx']:.1f}x")


def timed(command: list[str], env: dict) -> tuple[float, float]:
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status:
        sys.exit(f"{' '.join(command[2:])} failed: {process.stderr.read().decode()[-500:]}")
    return wall, usage.ru_maxrss / 1024


if __name__ == "__main__":
    main()
