"""The official MCP Python SDK (`mcp`) against a running hot-server's MCP endpoint.

    python3 scripts/mcp_check.py BASE_URL API_KEY LIMITED_KEY

API_KEY may do anything in the env; LIMITED_KEY is an API key of the same env whose permissions
lack `execute` on mcp:calc/secret. Deploys a bundle (project `mcpcheck`) whose service `calc` has
three tools run by the embedded WebAssembly runtime: `echo` (open, an input_schema with a required
integer `n`; its module gives back the runtime request it was sent), `secret` (auth_mode required,
the same module) and `fail` (open; its module writes an error line). Then, through the SDK's
Streamable HTTP client and ClientSession: initialize, ping, tools/list as each caller, tool calls,
a schema violation, a failed run and the refusals of the required tool. Prints one line per check
and "N passed, N failed"; exits 1 on any failure. Talks to BASE_URL only; every step is bounded.
"""
import asyncio
import hashlib
import io
import json
import logging
import sys
import traceback
import zipfile
from contextlib import asynccontextmanager

import httpx
import mcp.types
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import McpError
from mcp.shared.version import SUPPORTED_PROTOCOL_VERSIONS

import hot_wat

PROJECT = "mcpcheck"
SERVICE = "calc"
ECHO_SCHEMA = {
    "type": "object",
    "properties": {"n": {"type": "integer", "minimum": 0}, "note": {"type": "string"}},
    "required": ["n"],
    "additionalProperties": False,
}
MANIFEST = {f"hot.bundle.{PROJECT}": {"mcp_tools": {SERVICE: [
    {"name": "echo", "title": "Echo", "description": "Gives back what it was sent.", "fn": "::calc/echo",
     "auth_mode": "none", "input_schema": ECHO_SCHEMA},
    {"name": "secret", "fn": "::calc/echo", "auth_mode": "required"},
    {"name": "fail", "fn": "::boom/fail", "auth_mode": "none"},
]}}}
FAILURE = {"message": "mcp-check: the module failed on purpose"}
# Every SDK exchange is bounded: a hang is a failed check, not a stuck CI.
STEP_SECONDS = 20


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        # A passing check's detail is a reminder, a failing one's the evidence.
        detail = str(detail)[:500] if not ok else str(detail)[:100] + ("…" if len(str(detail)) > 100 else "")
        print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""), flush=True)
        return ok


def bundle():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.hot", json.dumps(MANIFEST))
        archive.writestr("calc.wat", hot_wat.echo_stdin())
        archive.writestr("boom.wat", hot_wat.writing([{"type": "error", "error": FAILURE}]))
    return buffer.getvalue()


def deploy(base, token):
    """Creates the project, uploads and deploys the bundle; the MCP endpoint's URL and a service key
    granted execute on mcp:calc/secret."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
        def ok(response, *statuses):
            if response.status_code not in statuses:
                raise RuntimeError(f"{response.request.method} {response.request.url.path} answered "
                                   f"{response.status_code}: {response.text[:500]}")
            return response.json() if response.content else None

        ok(api.post("/v1/projects", json={"name": PROJECT}), 201)
        data = bundle()
        build = ok(api.post(f"/v1/projects/{PROJECT}/builds", data={"hash": hashlib.sha256(data).hexdigest()},
                            files={"file": ("build.hot.zip", data, "application/zip")}), 201)["data"]["build_id"]
        ok(api.post(f"/v1/projects/{PROJECT}/builds/{build}/deploy"), 200)
        tools = ok(api.get(f"/v1/projects/{PROJECT}/mcp-tools"), 200)["data"]
        created = ok(api.post("/v1/service-keys", json={
            "name": "mcp-check", "permissions": {f"mcp:{SERVICE}/secret": ["execute"]}}), 201)["data"]
        return tools, created["token"]


@asynccontextmanager
async def session(url, token=None):
    """An initialized ClientSession over the SDK's Streamable HTTP transport (one connection pool)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(STEP_SECONDS)) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, _):
            async with ClientSession(read, write) as client:
                client.initialize_result = await client.initialize()
                yield client


def leaves(error):
    """The exceptions inside (nested) exception groups."""
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from leaves(inner)
    else:
        yield error


async def refusal(url, token, tool, arguments):
    """How the SDK fails a call the server refuses at the HTTP level: the HTTP statuses it raised
    (httpx.HTTPStatusError, inside the transport's exception group), or the result when it did not."""
    try:
        async with asyncio.timeout(STEP_SECONDS):
            async with session(url, token) as client:
                return "succeeded", await client.call_tool(tool, arguments)
    except TimeoutError:
        return "timed out", None
    except Exception as error:
        statuses = [e.response.status_code for e in leaves(error) if isinstance(e, httpx.HTTPStatusError)]
        if statuses:
            return "raised", statuses
        return "raised", [f"{type(e).__name__}: {e}" for e in leaves(error)]


def names(listed):
    return sorted(tool.name for tool in listed.tools)


async def scenario(checks, base, token, limited):
    tools, service_key = deploy(base, token)
    listed = {tool["name"]: tool for tool in tools}
    url = listed.get("echo", {}).get("url", "")
    checks.check("GET /v1/projects/{p}/mcp-tools lists the tools with their endpoint URL",
                 sorted(listed) == ["echo", "fail", "secret"] and url == f"{base}/mcp/default/development/{SERVICE}"
                 and all(tool.get("url") == url for tool in tools), json.dumps(tools)[:300])

    # Anonymous: the open tools.
    async with asyncio.timeout(STEP_SECONDS * 4):
        async with session(url) as client:
            init = client.initialize_result
            checks.check("initialize: server info, tools capability, a protocol version the SDK speaks",
                         init.serverInfo.name == "hot-server" and init.capabilities.tools is not None
                         and init.protocolVersion in SUPPORTED_PROTOCOL_VERSIONS,
                         f"protocol {init.protocolVersion}, server {init.serverInfo.name} {init.serverInfo.version}")
            await client.send_ping()
            checks.check("ping", True)

            anonymous = await client.list_tools()
            checks.check("tools/list without a credential shows the open tools only", names(anonymous) == ["echo", "fail"],
                         f"{names(anonymous)}")
            echo = next((tool for tool in anonymous.tools if tool.name == "echo"), None)
            checks.check("tools/list gives echo's title, description and input schema as declared",
                         echo is not None and echo.title == "Echo" and echo.description == "Gives back what it was sent."
                         and echo.inputSchema == ECHO_SCHEMA, f"{echo.model_dump() if echo else None}")

            result = await client.call_tool("echo", {"n": 3, "note": "héllo"})
            structured = result.structuredContent or {}
            text = result.content[0].text if result.content and isinstance(result.content[0], mcp.types.TextContent) else None
            checks.check("tools/call echo: structuredContent is the run's result (its one arg: the arguments)",
                         result.isError is False and structured.get("run_type") == "call"
                         and structured.get("event", {}).get("event_data", {}).get("args") == [{"n": 3, "note": "héllo"}],
                         json.dumps(structured)[:300])
            checks.check("tools/call echo: content[0].text is structuredContent as JSON",
                         text is not None and json.loads(text) == structured, (text or "")[:200])

            for label, arguments in (("a string for the integer n", {"n": "3"}), ("n missing", {}),
                                     ("n below its minimum", {"n": -1}), ("a property the schema forbids", {"n": 1, "x": 2})):
                try:
                    outcome = await client.call_tool("echo", arguments)
                    checks.check(f"schema violation ({label}) raises McpError -32602", False,
                                 f"answered isError={outcome.isError}: {outcome.content}")
                except McpError as error:
                    checks.check(f"schema violation ({label}) raises McpError -32602", error.error.code == mcp.types.INVALID_PARAMS,
                                 f"code {error.error.code}: {error.error.message}")
            after = await client.call_tool("echo", {"n": 4})
            checks.check("the session still calls after the errors", after.isError is False
                         and (after.structuredContent or {}).get("event", {}).get("event_data", {}).get("args") == [{"n": 4}])
    async with asyncio.timeout(STEP_SECONDS * 2):
        async with session(url) as client:
            try:
                unknown = await client.call_tool("no-such-tool", {})
                checks.check("tools/call of an unknown tool raises McpError -32602", False, f"answered {unknown}")
            except McpError as error:
                checks.check("tools/call of an unknown tool raises McpError -32602", error.error.code == mcp.types.INVALID_PARAMS,
                             error.error.message)
            failed = await client.call_tool("fail", {})
            text = failed.content[0].text if failed.content and isinstance(failed.content[0], mcp.types.TextContent) else ""
            checks.check("tools/call of a tool whose module fails: isError true, with the module's error",
                         failed.isError is True and FAILURE["message"] in text, text[:200])

    # With credentials.
    async with asyncio.timeout(STEP_SECONDS * 2):
        async with session(url, token) as client:
            checks.check("tools/list with the API key (all permissions) shows every tool",
                         names(await client.list_tools()) == ["echo", "fail", "secret"])
            result = await client.call_tool("secret", {"any": "thing"})
            checks.check("tools/call secret with the API key succeeds", result.isError is False
                         and (result.structuredContent or {}).get("handler", {}).get("var") == "echo",
                         json.dumps(result.structuredContent)[:200])
    async with asyncio.timeout(STEP_SECONDS * 2):
        async with session(url, limited) as client:
            checks.check("tools/list with a key lacking execute on mcp:calc/secret hides it",
                         names(await client.list_tools()) == ["echo", "fail"])

    how, detail = await refusal(url, None, "secret", {})
    checks.check("tools/call secret without a credential: HTTP 401, the SDK raises", how == "raised" and detail == [401], f"{how}: {detail}")
    how, detail = await refusal(url, limited, "secret", {})
    checks.check("tools/call secret with a key lacking execute on mcp:calc/secret: HTTP 403, the SDK raises",
                 how == "raised" and detail == [403], f"{how}: {detail}")

    async with asyncio.timeout(STEP_SECONDS * 2):
        async with session(url, service_key) as client:
            checks.check("tools/list with a service key granted mcp:calc/secret shows it",
                         names(await client.list_tools()) == ["echo", "fail", "secret"])
            result = await client.call_tool("secret", {"x": 1})
            checks.check("tools/call secret with that service key succeeds",
                         result.isError is False and (result.structuredContent or {}).get("event", {})
                         .get("event_data", {}).get("args") == [{"x": 1}], json.dumps(result.structuredContent)[:200])


def main():
    base, token, limited = sys.argv[1:4]
    # The SDK logs what it survives (a refused POST, the GET stream the server does not offer) as it
    # happens; the checks say what matters.
    logging.basicConfig(level=logging.CRITICAL)
    checks = Checks()
    try:
        asyncio.run(scenario(checks, base, token, limited))
    except Exception as error:
        checks.check("the scenario ran to its end", False, f"{type(error).__name__}: {error}")
        traceback.print_exception(error, file=sys.stderr)
    print(f"{checks.passed} passed, {checks.failed} failed")
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
