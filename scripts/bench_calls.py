"""The load of scripts/bench-calls against a running hot-server: N webhook calls, then N MCP tools/call
requests, each at CONCURRENCY, every answer checked.

    python3 scripts/bench_calls.py BASE_URL API_KEY SERVER_PID POSTMASTER_PID

Deploys project `bench-calls`: a webhook `POST /echo` of service `bench` and an open MCP tool `echo`
of service `bench`, both the function ::bench/echo, whose module (run by the embedded runtime) gives
back the runtime request it was sent. So every answer shows the argument of its own call: a webhook
call's body `{"i": k}` must come back as the call's argument's body, a tool call's arguments
`{"i": k}` as its structuredContent's args, and the JSON-RPC id must be k. Each client keeps one
HTTP/1.1 connection (keep-alive) and sends one request at a time; latency is from the request's
first byte written to its answer's last byte read. Knobs (environment): N (2000), CONCURRENCY (32),
WARMUP (64 calls of each kind, not measured), BENCH_SECONDS (600: a phase's bound). Prints per
kind: correct/total, throughput, p50/p90/p99/max, the CPU the server and PostgreSQL spent a call;
exits 1 unless every answer was correct. Talks to BASE_URL only.
"""
import asyncio
import hashlib
import io
import json
import os
import sys
import time
import urllib.parse
import zipfile

import hot_wat

PROJECT = "bench-calls"
SERVICE = "bench"
MANIFEST = {f"hot.bundle.{PROJECT}": {
    "webhooks": {SERVICE: [{"path": "/echo", "method": "POST", "fn": "::bench/echo"}]},
    "mcp_tools": {SERVICE: [{"name": "echo", "fn": "::bench/echo", "auth_mode": "none", "input_schema": {
        "type": "object", "properties": {"i": {"type": "integer", "minimum": 0}}, "required": ["i"], "additionalProperties": False}}]},
}}
PROTOCOL_VERSION = "2025-06-18"
REQUEST_SECONDS = 60


class Connection:
    """One keep-alive HTTP/1.1 connection to the server, one request at a time."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def close(self):
        if self.writer:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
            self.reader = self.writer = None

    async def request(self, method, target, body=b"", headers=()):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}", *headers]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line, *lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        fields = {}
        for line in lines:
            if ":" in line:
                name, value = line.split(":", 1)
                fields[name.strip().lower()] = value.strip()
        if fields.get("transfer-encoding", "").lower() == "chunked":
            payload = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    while await self.reader.readuntil(b"\r\n") != b"\r\n":
                        pass  # trailer fields, up to the empty line
                    break
                payload += (await self.reader.readexactly(size + 2))[:-2]
        else:
            payload = await self.reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status, fields, payload


def bundle():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.hot", json.dumps(MANIFEST))
        archive.writestr("bench.wat", hot_wat.echo_stdin())
    return buffer.getvalue()


def multipart(fields, boundary="hot-bench-calls-boundary"):
    parts = []
    for name, (filename, value) in fields.items():
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        parts.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


async def deploy(connection, token):
    """The bundle created, uploaded and deployed; the webhook's and the MCP endpoint's paths."""
    auth = f"Authorization: Bearer {token}"

    async def api(method, target, body=b"", content_type="application/json", expect=(200,)):
        status, _, payload = await connection.request(method, target, body, [auth, f"Content-Type: {content_type}"])
        if status not in expect:
            raise RuntimeError(f"{method} {target} answered {status}: {payload[:500].decode(errors='replace')}")
        return json.loads(payload) if payload else None

    await api("POST", "/v1/projects", json.dumps({"name": PROJECT}).encode(), expect=(201,))
    data = bundle()
    body, content_type = multipart({"file": ("build.hot.zip", data), "hash": (None, hashlib.sha256(data).hexdigest().encode())})
    build = (await api("POST", f"/v1/projects/{PROJECT}/builds", body, content_type, expect=(200, 201)))["data"]["build_id"]
    await api("POST", f"/v1/projects/{PROJECT}/builds/{build}/deploy")
    webhook = (await api("GET", f"/v1/projects/{PROJECT}/webhooks"))["data"][0]["url"]
    tool = (await api("GET", f"/v1/projects/{PROJECT}/mcp-tools"))["data"][0]["url"]
    return urllib.parse.urlsplit(webhook).path, urllib.parse.urlsplit(tool).path


def webhook_call(path):
    async def call(connection, k):
        body = json.dumps({"i": k}).encode()
        status, fields, payload = await connection.request("POST", path, body, ["Content-Type: application/json"])
        if status != 200:
            return f"status {status}: {payload[:200]!r}"
        answer = json.loads(payload)
        argument = answer.get("event", {}).get("event_data", {}).get("args", [{}])[0]
        if answer.get("run_type") != "call" or argument.get("body") != body.decode() or argument.get("path") != "/echo":
            return f"wrong answer to {body!r}: {payload[:300]!r}"
        return None
    return call


def tool_call(path):
    headers = ["Content-Type: application/json", "Accept: application/json, text/event-stream", f"MCP-Protocol-Version: {PROTOCOL_VERSION}"]

    async def call(connection, k):
        body = json.dumps({"jsonrpc": "2.0", "id": k, "method": "tools/call",
                           "params": {"name": "echo", "arguments": {"i": k}}}).encode()
        status, fields, payload = await connection.request("POST", path, body, headers)
        if status != 200:
            return f"status {status}: {payload[:200]!r}"
        answer = json.loads(payload)
        result = answer.get("result", {})
        structured = result.get("structuredContent") or {}
        if (answer.get("id") != k or result.get("isError") is not False
                or structured.get("event", {}).get("event_data", {}).get("args") != [{"i": k}]
                or json.loads(result["content"][0]["text"]) != structured):
            return f"wrong answer to id {k}: {payload[:300]!r}"
        return None
    return call


async def initialize(connection, path):
    """What an MCP client does first: initialize (the version this bench then sends), initialized."""
    headers = ["Content-Type: application/json", "Accept: application/json, text/event-stream"]
    status, _, payload = await connection.request("POST", path, json.dumps({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "bench-calls", "version": "1"}},
    }).encode(), headers)
    version = json.loads(payload).get("result", {}).get("protocolVersion") if status == 200 else None
    if version != PROTOCOL_VERSION:
        raise RuntimeError(f"initialize answered {status}: {payload[:300]!r}")
    status, _, _ = await connection.request("POST", path, b'{"jsonrpc":"2.0","method":"notifications/initialized"}',
                                            headers + [f"MCP-Protocol-Version: {PROTOCOL_VERSION}"])
    if status != 202:
        raise RuntimeError(f"notifications/initialized answered {status}")


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_of(pid, reaped=False):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)) / TICKS


def cpu(server_pid, postmaster_pid):
    """CPU seconds so far of the server and of PostgreSQL (the postmaster, its children, reaped ones)."""
    postgres = cpu_of(postmaster_pid, reaped=True)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
                if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster_pid:
                    postgres += cpu_of(int(entry))
            except (OSError, ValueError, IndexError):
                pass  # a process that ended meanwhile
    return cpu_of(server_pid), postgres


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


async def load(host, port, call, count, concurrency, first):
    """`count` calls (numbered from `first`) by `concurrency` clients; per call its latency or its failure."""
    latencies, failures = [], []
    numbers = iter(range(first, first + count))

    async def client():
        connection = Connection(host, port)
        try:
            for k in numbers:
                started = time.perf_counter()
                try:
                    failure = await asyncio.wait_for(call(connection, k), REQUEST_SECONDS)
                except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError, KeyError, IndexError) as error:
                    failure = f"{type(error).__name__}: {error}"
                    await connection.close()
                latency = time.perf_counter() - started
                if failure is None:
                    latencies.append(latency)
                else:
                    failures.append(failure)
        finally:
            await connection.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, failures


async def main():
    base, token, server_pid, postmaster_pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    count = int(os.environ.get("N", "2000"))
    concurrency = int(os.environ.get("CONCURRENCY", "32"))
    warmup = int(os.environ.get("WARMUP", "64"))
    bound = float(os.environ.get("BENCH_SECONDS", "600"))
    split = urllib.parse.urlsplit(base)
    host, port = split.hostname, split.port

    setup = Connection(host, port)
    webhook_path, mcp_path = await deploy(setup, token)
    await initialize(setup, mcp_path)
    await setup.close()
    print(f"{count} calls of each kind at concurrency {concurrency} (after {warmup} unmeasured), one keep-alive connection a client")

    all_correct = True
    first = 1
    for label, call in (("webhook calls: POST /webhook/…/bench/echo/<token>", webhook_call(webhook_path)),
                        ("MCP tool calls: tools/call echo at /mcp/…/bench", tool_call(mcp_path))):
        if warmup:
            _, failures = await load(host, port, call, warmup, min(concurrency, warmup), first)
            first += warmup
            if failures:
                print(f"  warm-up failures: {len(failures)}; first: {failures[0]}")
        before = cpu(server_pid, postmaster_pid)
        started = time.perf_counter()
        async with asyncio.timeout(bound):
            latencies, failures = await load(host, port, call, count, concurrency, first)
        elapsed = time.perf_counter() - started
        after = cpu(server_pid, postmaster_pid)
        first += count
        correct = len(latencies)
        all_correct &= correct == count
        ms = [latency * 1000 for latency in latencies]
        print(f"{label}")
        print(f"  correct {correct}/{count}; {count / elapsed:.0f} calls/s ({elapsed:.2f} s); latency ms "
              f"p50 {percentile(ms, .5):.1f}  p90 {percentile(ms, .9):.1f}  p99 {percentile(ms, .99):.1f}  max {max(ms, default=float('nan')):.1f}")
        print(f"  CPU ms a call: server {(after[0] - before[0]) * 1000 / count:.2f}, PostgreSQL {(after[1] - before[1]) * 1000 / count:.2f}")
        if failures:
            kinds = {}
            for failure in failures:
                kinds.setdefault(failure[:120], 0)
                kinds[failure[:120]] += 1
            for failure, times in sorted(kinds.items(), key=lambda item: -item[1])[:5]:
                print(f"  FAILED x{times}: {failure}")
    print("all answers correct" if all_correct else "SOME ANSWERS WRONG OR MISSING")
    return 0 if all_correct else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
