#!/usr/bin/env python3
"""Checks the built example handlers: runs each under wasmtime with sample runs
and checks what it writes to stdout.

    python3 examples/check.py

For every case: the module imports only WASI preview 1 functions and exports
`_start` and `memory`; it exits 0 without trapping; each stdout line is a JSON
object of a known type (`data` with a string `data_type`, `result` or `error`);
the last line, and only that one, is the outcome (result or error) the case
expects; and the outcome holds what the case expects.

Needs the wasmtime package (pip install wasmtime); installs nothing itself.
Prints one line per case and "N passed, N failed"; exits 1 if any failed.
"""
from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import run_module  # noqa: E402  (the local runner beside this file)

HERE = os.path.dirname(os.path.abspath(__file__))


def sample_run(event: dict | None = None, schedule: dict | None = None, fn: str = "::shop::orders/on-order") -> bytes:
    """A run as the server writes it to a module's stdin."""
    ns, var = fn.rsplit("/", 1)
    run = {
        "run_id": "3f1c1f0e-8a7b-4c47-9d1e-0d6a0c3b6f01",
        "run_type": "event" if event else "schedule",
        "stream_id": "7d0b3c52-5a0e-4f0a-b6a8-2b8f6f1f7a11",
        "env_id": "a4a4d1f2-0c3e-4a43-9a5d-7e3c2f1b0c21",
        "project_id": "c0ffee00-1234-4cde-8f00-0123456789ab",
        "build_id": "b1d0b1d0-5678-4abc-9def-0123456789ab",
        "handler": {"ns": ns, "var": var, "meta": {}},
        "event": event,
        "schedule": schedule,
        "context": {"GREETING": "hi"},
    }
    return json.dumps(run).encode()


ORDER = {
    "event_id": "e0e0e0e0-0000-4000-8000-000000000001",
    "event_type": "order:created",
    "event_data": {"order": 42, "name": "Ada \u00e9\U0001F600", "items": ["a\"b", 1.5e3, None, True]},
    "event_time": "2026-01-02T03:04:05Z",
}
NIGHTLY = {"schedule_id": "5c5c5c5c-0000-4000-8000-000000000002", "cron": "0 3 * * *"}


class Failed(Exception):
    pass


def expect(cond: bool, what: str) -> None:
    if not cond:
        raise Failed(what)


def parse_ndjson(stdout: bytes) -> list[dict]:
    """The module's stdout as the server reads it: one JSON object a line."""
    try:
        text = stdout.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Failed(f"stdout is not UTF-8: {e}")
    lines = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        if not line.strip(" \t"):
            continue  # the server skips blank lines
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise Failed(f"stdout line {number} is not JSON ({e}): {line[:200]!r}")
        expect(isinstance(obj, dict), f"stdout line {number} is not an object")
        kind = obj.get("type")
        expect(kind in ("data", "result", "error"), f"stdout line {number} has type {kind!r}")
        if kind == "data":
            expect(isinstance(obj.get("data_type"), str), f"stdout line {number}: data without a string data_type")
        lines.append(obj)
    expect(bool(lines), "stdout is empty")
    outcomes = [i for i, obj in enumerate(lines) if obj["type"] != "data"]
    expect(bool(outcomes), "no result or error line")
    expect(outcomes == [len(lines) - 1], "the result or error line is not the last, or not the only one")
    return lines


def check_hello(lines: list[dict], stdin: bytes) -> None:
    expect(lines[0] == {"type": "data", "data_type": "greeting", "payload": {"text": "hello"}}, f"first line {lines[0]}")
    expect(lines[-1]["result"] == {"ok": True}, f"result {lines[-1]['result']}")


def check_c_event(lines: list[dict], stdin: bytes) -> None:
    steps = [obj["payload"]["step"] for obj in lines if obj["type"] == "data"]
    expect(steps == ["read", "event"], f"steps {steps}")
    expect(lines[1]["payload"]["event_data"] == ORDER["event_data"], "event_data not echoed as sent")
    result = lines[-1]["result"]
    expect(result["fn"] == "on-order", f"fn {result['fn']!r}")
    expect(result["event_type"] == "order:created", f"event_type {result['event_type']!r}")
    expect(result["bytes_in"] == len(stdin), f"bytes_in {result['bytes_in']} for {len(stdin)}")
    event_data_bytes = len(json.dumps(ORDER["event_data"]).encode())
    expect(result["event_data_bytes"] == event_data_bytes, f"event_data_bytes {result['event_data_bytes']}")


def check_c_schedule(lines: list[dict], stdin: bytes) -> None:
    expect(lines[1]["payload"] == {"step": "schedule", "cron": "0 3 * * *"}, f"second line {lines[1]}")
    result = lines[-1]["result"]
    expect(result["fn"] == "nightly-report" and result["event_type"] is None, f"result {result}")


def check_swift_event(lines: list[dict], stdin: bytes) -> None:
    name = ORDER["event_data"]["name"]
    deltas = [obj["payload"]["text"] for obj in lines if obj["type"] == "data" and obj["data_type"] == "ai:delta"]
    expect(deltas == ["Hello, ", name, "!"], f"deltas {deltas}")
    expect(lines[-1]["result"] == {"fn": "greet", "text": f"Hello, {name}!", "bytes_in": len(stdin)},
           f"result {lines[-1]['result']}")


def check_swift_schedule(lines: list[dict], stdin: bytes) -> None:
    expect(lines[-1]["result"]["text"] == "Hello, world!", f"result {lines[-1]['result']}")


def check_error(lines: list[dict], stdin: bytes) -> None:
    expect(isinstance(lines[-1]["error"].get("message"), str), f"error {lines[-1]['error']}")


# (module, stdin, fn, the outcome it must end with, a check of its lines)
CASES = [
    ("wat/hello.wasm", sample_run(event=ORDER), "::shop::orders/on-order", "result", check_hello),
    # The server also runs a .wat bundle entry as it is.
    ("wat/hello.wat", sample_run(event=ORDER), "::shop::orders/on-order", "result", check_hello),
    ("c/handler.wasm", sample_run(event=ORDER), "::shop::orders/on-order", "result", check_c_event),
    ("c/handler.wasm", sample_run(schedule=NIGHTLY, fn="::shop::tasks/nightly-report"),
         "::shop::tasks/nightly-report", "result", check_c_schedule),
    ("c/handler.wasm", b'{"run_id": ', "::shop::orders/on-order", "error", check_error),
    ("c/handler.wasm", b"[1, 2]", "::shop::orders/on-order", "error", check_error),
    ("c/handler.wasm", sample_run(event={"event_type": 7, "event_data": {}}), "::shop::orders/on-order",
         "error", check_error),
    ("swift/handler.wasm", sample_run(event=ORDER, fn="::demo::hello/greet"), "::demo::hello/greet",
         "result", check_swift_event),
    ("swift/handler.wasm", sample_run(schedule=NIGHTLY, fn="::demo::hello/greet"), "::demo::hello/greet",
         "result", check_swift_schedule),
    ("swift/handler.wasm", b"not json", "::demo::hello/greet", "error", check_error),
]


def run_case(module: str, stdin: bytes, fn: str, outcome: str, check) -> None:
    path = os.path.join(HERE, module)
    expect(os.path.exists(path), f"{module} is missing: run examples/build")
    try:
        ran = run_module(path, stdin, fn)
    except ValueError as e:  # not a handler module
        raise Failed(str(e))
    stderr_tail = ran.stderr.decode("utf-8", "replace")[-500:]
    expect(ran.trap is None, f"trapped: {ran.trap}; stderr: {stderr_tail!r}")
    expect(ran.exit_code == 0, f"exit status {ran.exit_code}; stderr: {stderr_tail!r}")
    lines = parse_ndjson(ran.stdout)
    expect(lines[-1]["type"] == outcome, f"ended with {lines[-1]['type']}, not {outcome}: {lines[-1]}")
    check(lines, stdin)


def main() -> int:
    passed = failed = 0
    for module, stdin, fn, outcome, check in CASES:
        name = f"{module} {fn} -> {outcome} ({check.__name__})"
        try:
            run_case(module, stdin, fn, outcome, check)
        except (Failed, KeyError, TypeError, IndexError) as e:
            failed += 1
            print(f"FAIL {name}: {type(e).__name__ + ': ' if not isinstance(e, Failed) else ''}{e}")
        else:
            passed += 1
            print(f"ok   {name}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
