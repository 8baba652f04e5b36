"""Answers through `qa serve` against `qa ask` processes, side by side on seeds/, in one run.

    python bench/serve_bench.py [--rounds 2] [--model PATH]

Starts one server on a temporary QA_HOME, then for each question runs `qa ask QUESTION --json` (a
whole process: imports, model load, answer) and right after it asks the server the same question,
streaming, and records the time to the first draft piece and to the final answer. The first
server answer is reported apart; the target is for the second and later ones (issue: <= 3 s, the
`qa ask` target). Run it on an idle machine: the two take turns, never overlap.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "What prisoner exchanges were agreed?",
    "Who proposed the 30-day ceasefire?",
    "What did Putin demand as a condition for a ceasefire?",
    "How many wounded Ukrainian soldiers would Russia release?",
    "How many tanks has France promised to send to Ukraine?",  # not in the article: an abstention
]
TARGET_SECONDS = 3.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2, help="Times through the questions.")
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "QA_HOME": tempfile.mkdtemp(prefix="qa-serve-bench-")}
    qa = [sys.executable, "-m", "qa"]
    model = ["--model", args.model] if args.model else []
    subprocess.run([*qa, "index", str(REPO / "seeds")], env=env, check=True, capture_output=True)
    subprocess.run([*qa, "ask", QUESTIONS[0], *model], env=env, check=True, capture_output=True)  # warm the disk cache

    started = time.perf_counter()
    server = subprocess.Popen([*qa, "serve", "--port", "0", *model], env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = _ready(server)
        print(f"server start-up (imports, models, warm-up): {time.perf_counter() - started:5.1f} s")
        token = re.search(r'name="qa-token" content="([^"]+)"', _get(url)).group(1)
        rows = []
        for round_number in range(args.rounds):
            for question in QUESTIONS:
                t0 = time.perf_counter()
                out = subprocess.run([*qa, "ask", question, "--json", *model], env=env, check=True,
                                     capture_output=True, text=True)
                cli_seconds = time.perf_counter() - t0
                first, total, result = _ask(url, token, question)
                same = json.loads(out.stdout)["answer"] == result["answer"]
                rows.append((round_number, question, cli_seconds, first, total, result["mode"], same))
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"\n{'question':58} {'qa ask':>7} {'serve: first draft':>19} {'answer':>7}  mode       same answer")
    for _, question, cli_seconds, first, total, mode, same in rows:
        shown = f"{first:6.2f} s" if first is not None else "   —   "
        print(f"{question[:58]:58} {cli_seconds:5.2f} s {shown:>19} {total:5.2f} s  {mode:10} {same}")
    later = [row[4] for row in rows[1:]]
    cli = [row[2] for row in rows]
    print(f"\nqa ask process, median:                      {statistics.median(cli):5.2f} s")
    print(f"serve, first answer:                         {rows[0][4]:5.2f} s")
    print(f"serve, second and later: median {statistics.median(later):5.2f} s, max {max(later):5.2f} s"
          f" (target {TARGET_SECONDS:.0f} s: max is {max(later) / TARGET_SECONDS:.2f} of it)")
    print(f"serve / qa ask, median:                      {statistics.median(later) / statistics.median(cli):5.2f}")
    print(f"same answer text as qa ask: {sum(row[6] for row in rows)} of {len(rows)}")


def _ready(server: subprocess.Popen) -> str:
    for line in server.stderr:
        found = re.search(r"listening on (http://\S+)", line)
        if found:
            return found.group(1)
    raise SystemExit(f"qa serve stopped before it was ready (exit {server.wait()})")


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


def _ask(url: str, token: str, question: str) -> tuple[float | None, float, dict]:
    """Seconds to the first draft piece (None: no draft, e.g. an abstention) and to the answer."""
    request = urllib.request.Request(
        url + "api/ask", data=json.dumps({"question": question}).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-QA-Token": token},
    )
    t0 = time.perf_counter()
    first = None
    with urllib.request.urlopen(request, timeout=120) as response:
        for line in response:
            event = json.loads(line)
            if event["event"] == "draft" and first is None:
                first = time.perf_counter() - t0
            elif event["event"] == "answer":
                return first, time.perf_counter() - t0, event["result"]
            elif event["event"] == "error":
                raise SystemExit(f"the server failed: {event['detail']}")
    raise SystemExit("the stream ended without an answer")


if __name__ == "__main__":
    main()
