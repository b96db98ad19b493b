#!/usr/bin/env python3
"""Run a hot-server WebAssembly handler locally, the way the server runs it.

    echo '{"run_id":"…","event":{…},…}' | python3 examples/run.py MODULE.wasm [FN]

MODULE is a .wasm file (or a .wat text file). FN is the function as the manifest
names it, e.g. "::shop::orders/on-order" (default "::demo::example/handler"). As
on the server, the module gets:

  argv   [<var>]: the part of FN after its last "/"
  env    HOT_RUN_ID and HOT_STREAM_ID (taken from stdin's run_id and stream_id when
         it has them), HOT_FN = FN
  stdin  this script's stdin, as it is
  stdout and stderr passed straight through, so data lines show as they are written

No directories and no sockets; clocks and random work. The exit status is the
module's own (1 after a trap). Needs the wasmtime package: pip install wasmtime.

check.py imports run_module() from here to test the example modules.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import uuid
from dataclasses import dataclass

try:
    import wasmtime
except ImportError:
    sys.exit("examples need the Python package wasmtime: pip install wasmtime")

WASI = "wasi_snapshot_preview1"
DEFAULT_FN = "::demo::example/handler"
# Instructions a module may execute before it is stopped: enough for any example,
# and a bound so that a module stuck in a loop fails instead of hanging.
FUEL = 2_000_000_000


@dataclass
class Outcome:
    exit_code: int  # the module's exit status; 1 after a trap
    stdout: bytes  # empty when streamed to this process's stdout
    stderr: bytes
    trap: str | None  # the trap's message, if the module trapped


def abi_problems(module: wasmtime.Module) -> list[str]:
    """What keeps `module` from being a handler: it must import only WASI
    preview 1 functions and export `_start` and `memory`."""
    problems = []
    for imp in module.imports:
        if imp.module != WASI or not isinstance(imp.type, wasmtime.FuncType):
            problems.append(f"imports {imp.module}.{imp.name}: only {WASI} functions are provided")
    exports = {exp.name: exp.type for exp in module.exports}
    if not isinstance(exports.get("_start"), wasmtime.FuncType):
        problems.append("exports no function _start")
    if not isinstance(exports.get("memory"), wasmtime.MemoryType):
        problems.append("exports no memory")
    return problems


def last_line(text: str) -> str:
    """wasmtime's messages end with the cause ("wasm trap: ..."), after a backtrace."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else text


def load(path: str, engine: wasmtime.Engine) -> wasmtime.Module:
    with open(path, "rb") as f:
        code = f.read()
    if not code.startswith(b"\0asm"):
        code = wasmtime.wat2wasm(code.decode("utf-8"))
    return wasmtime.Module(engine, code)


def run_module(path: str, stdin: bytes, fn: str = DEFAULT_FN, stream: bool = False) -> Outcome:
    """Runs the handler at `path` with `stdin` as its input and returns how it ended.
    With stream=True its stdout and stderr go to this process's own."""
    config = wasmtime.Config()
    config.consume_fuel = True
    engine = wasmtime.Engine(config)
    module = load(path, engine)
    problems = abi_problems(module)
    if problems:
        raise ValueError(f"{path}: not a handler module: " + "; ".join(problems))

    try:
        run = json.loads(stdin)
    except ValueError:
        run = None
    run = run if isinstance(run, dict) else {}

    with tempfile.TemporaryDirectory() as tmp:
        # wasmtime's Python API takes stdin, stdout and stderr as files.
        paths = {name: os.path.join(tmp, name) for name in ("stdin", "stdout", "stderr")}
        with open(paths["stdin"], "wb") as f:
            f.write(stdin)

        wasi = wasmtime.WasiConfig()
        wasi.argv = [fn.rsplit("/", 1)[-1]]
        wasi.env = [
            ("HOT_RUN_ID", str(run.get("run_id") or uuid.uuid4())),
            ("HOT_STREAM_ID", str(run.get("stream_id") or uuid.uuid4())),
            ("HOT_FN", fn),
        ]
        wasi.stdin_file = paths["stdin"]
        if stream:
            wasi.inherit_stdout()
            wasi.inherit_stderr()
        else:
            wasi.stdout_file = paths["stdout"]
            wasi.stderr_file = paths["stderr"]

        store = wasmtime.Store(engine)
        store.set_fuel(FUEL)
        store.set_wasi(wasi)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()

        exit_code, trap = 0, None
        try:
            instance = linker.instantiate(store, module)
            instance.exports(store)["_start"](store)
        except wasmtime.ExitTrap as e:  # proc_exit(code)
            exit_code = e.code
        except (wasmtime.Trap, wasmtime.WasmtimeError) as e:  # a trap: unreachable, out of fuel, …
            exit_code, trap = 1, last_line(str(e))

        def read(name: str) -> bytes:
            if stream:
                return b""
            with open(paths[name], "rb") as f:
                return f.read()

        return Outcome(exit_code, read("stdout"), read("stderr"), trap)


def main() -> int:
    if len(sys.argv) not in (2, 3) or sys.argv[1].startswith("-"):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    fn = sys.argv[2] if len(sys.argv) == 3 else DEFAULT_FN
    sys.stdout.flush()
    try:
        outcome = run_module(sys.argv[1], sys.stdin.buffer.read(), fn, stream=True)
    except ValueError as e:  # not a handler module
        print(f"run.py: {e}", file=sys.stderr)
        return 2
    if outcome.trap:
        print(f"run.py: the module trapped: {outcome.trap}", file=sys.stderr)
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
