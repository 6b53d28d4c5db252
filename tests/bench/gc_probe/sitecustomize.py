"""Loaded by `whole_ab.py --gc` into its `ask --jsonl` processes (through PYTHONPATH): records
each cyclic collection's generation and duration, and appends them as one JSON line to the
file DOCBOT_GC_LOG names when the process ends. Not part of docbot."""
import atexit
import gc
import json
import os
import time

_began = [0.0]
_seen: list[tuple[int, float]] = []


def _collection(phase: str, info: dict) -> None:
    if phase == "start":
        _began[0] = time.perf_counter()
    else:
        _seen.append((info["generation"], (time.perf_counter() - _began[0]) * 1000))


def _write() -> None:
    with open(os.environ["DOCBOT_GC_LOG"], "a", encoding="utf-8") as f:
        f.write(json.dumps(_seen) + "\n")


if os.environ.get("DOCBOT_GC_LOG"):
    gc.callbacks.append(_collection)
    atexit.register(_write)
