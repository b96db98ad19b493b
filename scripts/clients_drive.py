"""Drives every operation of a running hot-server through clients generated from spec/openapi.yaml.

    python3 scripts/clients_drive.py BASE_URL TOKEN SPEC GENERATED_DIR

GENERATED_DIR holds `hot_opc` (openapi-python-client) and `oag/hot_oag` (openapi-generator, python).
Each client runs the same scenario (projects, a multipart build upload, deploy, context, events, runs,
sessions, service keys, domains, files, org usage, env, the three SSE feeds) under its own names, and every
operation of the spec must have made at least one call that answered as documented. Prints one line
per generator; exits 1 if any operation failed or was never called. Talks to BASE_URL only.
"""
import hashlib
import io
import json
import re
import sys
import time
import traceback
import uuid
import zipfile


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Adapter:
    """One generated client behind one calling convention: call(op, path, body, query) -> (status, parsed)."""

    def __init__(self, label):
        self.label = label
        # The operation called last: an exception in a step is its failure.
        self.last_op = None


class OpenAPIGeneratorPython(Adapter):
    def __init__(self, base, token, tags):
        super().__init__("openapi-generator python")
        import hot_oag
        from hot_oag import models
        from hot_oag.exceptions import ApiException

        self.models = models
        self.ApiException = ApiException
        configuration = hot_oag.Configuration(host=base, access_token=token)
        self.client = hot_oag.ApiClient(configuration)
        self.apis = {}
        for tag in set(tags.values()):
            cls = getattr(hot_oag, f"{tag}Api")
            self.apis[tag] = cls(self.client)
        self.tags = tags

    def body(self, schema, value):
        return getattr(self.models, schema).from_dict(value)

    def enum(self, schema, value):
        return getattr(self.models, schema)(value)

    def call(self, op, path=(), body=None, query=None):
        self.last_op = op
        method = getattr(self.apis[self.tags[op]], f"{snake(op)}_with_http_info")
        args = list(path) + ([body] if body is not None else [])
        try:
            reply = method(*args, **(query or {}), _request_timeout=30)
            return reply.status_code, reply.data
        except self.ApiException as error:
            return error.status, error.data

    def upload(self, project, data, digest):
        self.last_op = "uploadBuild"
        api = self.apis[self.tags["uploadBuild"]]
        reply = api.upload_build_with_http_info(project, file=("build.hot.zip", data), hash=digest, _request_timeout=30)
        return reply.status_code, reply.data

    def download(self, project, build_id):
        return self.binary("downloadBuild", [project, build_id])

    def binary(self, op, path):
        status, data = self.call(op, path)
        return status, bytes(data) if data is not None else None

    def raw(self, op, path, data):
        return self.call(op, path, body=data)

    def first_sse_bytes(self, op, path=(), body=None):
        self.last_op = op
        method = getattr(self.apis[self.tags[op]], f"{snake(op)}_without_preload_content")
        args = list(path) + ([body] if body is not None else [])
        response = method(*args, _request_timeout=30)
        try:
            return response.status, response.read1(64)
        finally:
            response.close()


class OpenAPIPythonClient(Adapter):
    def __init__(self, base, token, tags):
        super().__init__("openapi-python-client")
        import importlib
        import hot_opc
        from hot_opc import models

        self.models = models
        self.importlib = importlib
        self.client = hot_opc.AuthenticatedClient(base_url=base, token=token, timeout=30)
        self.tags = tags

    def module(self, op):
        return self.importlib.import_module(f"hot_opc.api.{snake(self.tags[op])}.{snake(op)}")

    def body(self, schema, value):
        return getattr(self.models, schema).from_dict(value)

    def enum(self, schema, value):
        return getattr(self.models, schema)(value)

    @staticmethod
    def query(query):
        # Python keywords and builtins get a trailing underscore.
        return {("type_" if k == "type" else k): v for k, v in (query or {}).items()}

    def call(self, op, path=(), body=None, query=None):
        self.last_op = op
        extra = {"body": body} if body is not None else {}
        reply = self.module(op).sync_detailed(*path, client=self.client, **extra, **self.query(query))
        return int(reply.status_code), reply.parsed

    def upload(self, project, data, digest):
        from hot_opc.types import File

        body = self.models.UploadBuildRequest(
            file=File(payload=io.BytesIO(data), file_name="build.hot.zip", mime_type="application/zip"), hash_=digest)
        return self.call("uploadBuild", [project], body=body)

    def download(self, project, build_id):
        return self.binary("downloadBuild", [project, build_id])

    def binary(self, op, path):
        status, parsed = self.call(op, path)
        return status, parsed.payload.read() if status == 200 and parsed is not None else None

    def raw(self, op, path, data):
        from hot_opc.types import File

        return self.call(op, path, body=File(payload=io.BytesIO(data)))

    def first_sse_bytes(self, op, path=(), body=None):
        # Its sync call reads a response to the end, and a feed has none: the generated request,
        # sent by the generated client's httpx client, read as a stream.
        self.last_op = op
        extra = {"body": body} if body is not None else {}
        kwargs = self.module(op)._get_kwargs(*path, **extra)
        with self.client.get_httpx_client().stream(**kwargs) as response:
            return response.status_code, next(response.iter_bytes())


class Recorded(Exception):
    """A failure already recorded against its operation; the rest of the step depends on it."""


class Scenario:
    def __init__(self, adapter, prefix, operations):
        self.a = adapter
        self.prefix = prefix
        self.results = {op: None for op in operations}
        self.failures = []

    def check(self, op, ok, detail):
        if ok:
            self.results[op] = self.results[op] or "ok"
        else:
            self.results[op] = "failed"
            self.failures.append(f"{op}: {detail}")
        return ok

    def expect(self, op, call, status, test=lambda data: True):
        """Makes the call (building its body included) and checks the answer; a call that raises is op's failure."""
        try:
            got, data = call()
        except Exception:
            self.check(op, False, traceback.format_exc(limit=3).strip().splitlines()[-1])
            raise Recorded()
        passed = got == status and data is not None if status != 204 else got == 204
        why = ""
        try:
            passed = passed and bool(test(data))
        except Exception as error:  # a model without the field the scenario reads
            passed, why = False, f" ({type(error).__name__}: {error})"
        self.check(op, passed, f"HTTP {got}, wanted {status}{why}: {str(data)[:300]}")
        return data

    def step(self, op, function):
        try:
            function()
        except Recorded:
            pass
        except Exception:
            failed = self.a.last_op or op
            self.check(failed, False, traceback.format_exc(limit=3).strip().splitlines()[-1])

    def run(self):
        a, p = self.a, self.prefix
        state = {}

        self.step("getStatus", lambda: self.expect("getStatus", lambda: a.call("getStatus"), 200, lambda d: d.status == "ok"))
        self.step("getRoot", lambda: self.expect("getRoot", lambda: a.call("getRoot"), 200, lambda d: d.status == "ok"))
        self.step("getEnv", lambda: self.expect("getEnv", lambda: a.call("getEnv"), 200, lambda d: d.data.name))
        self.step("getOrgUsage", lambda: self.expect("getOrgUsage", lambda: a.call("getOrgUsage"), 200, lambda d: d.data.org_id))

        name = f"{p}-shop"

        def projects():
            created = self.expect("createProject", lambda: a.call("createProject", body=a.body("CreateProjectRequest", {"name": name})),
                                  201, lambda d: d.data.name == name)
            state["project"] = str(created.data.project_id)
            self.expect("listProjects", lambda: a.call("listProjects", query={"limit": 100}), 200,
                        lambda d: name in [x.name for x in d.data] and d.pagination.total >= 1)
            self.expect("getProject", lambda: a.call("getProject", [name]), 200, lambda d: str(d.data.project_id) == state["project"])
            # An error answer decodes as the envelope: its code is a plain string.
            self.expect("getProject", lambda: a.call("getProject", [f"{p}-missing"]), 404, lambda d: d.error.code == "not_found")
            renamed = f"{p}-store"
            self.expect("updateProject", lambda: a.call("updateProject", [name], body=a.body("UpdateProjectRequest", {"name": renamed})),
                        200, lambda d: d.data.name == renamed)
            state["name"] = renamed
        self.step("createProject", projects)
        project = state.get("name", name)

        event_type = f"{p}:order"
        manifest = '{"hot.bundle.%s": {event_handlers: {"%s": [{fn: "::%s::orders/on-placed"}]}, ' \
                   'scheduled_functions: {"0 3 * * *": [{fn: "::%s::tasks/nightly"}]}, ' \
                   'webhooks: {"billing": [{path: "/stripe", fn: "::%s::hooks/on-stripe"}]}, ' \
                   'mcp_tools: {"assist": [{name: "lookup", fn: "::%s::tools/lookup", input_schema: {type: "object"}}]}}}' % (p, event_type, p, p, p, p)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.hot", manifest)
        bundle = buffer.getvalue()
        digest = hashlib.sha256(bundle).hexdigest()

        def builds():
            uploaded = self.expect("uploadBuild", lambda: a.upload(project, bundle, digest), 201, lambda d: d.data.size == len(bundle))
            build = str(uploaded.data.build_id)
            state["build"] = build
            self.expect("listProjectBuilds", lambda: a.call("listProjectBuilds", [project]), 200,
                        lambda d: build in [str(x.build_id) for x in d.data])
            self.expect("listBuilds", lambda: a.call("listBuilds"), 200, lambda d: build in [str(x.build_id) for x in d.data])
            self.expect("getBuild", lambda: a.call("getBuild", [project, build]), 200, lambda d: str(d.data.build_id) == build)
            self.expect("deployBuild", lambda: a.call("deployBuild", [project, build]), 200, lambda d: d.data.deployed is True)
            self.expect("getDeployedBuild", lambda: a.call("getDeployedBuild", [project]), 200, lambda d: str(d.data.build_id) == build)
            # Live (development) builds are not made through this API: the documented answer is a 404.
            self.expect("getLiveBuild", lambda: a.call("getLiveBuild", [project]), 404, lambda d: d.error.code == "not_found")
            status, data = a.download(project, build)
            self.check("downloadBuild", status == 200 and data == bundle, f"HTTP {status}, {len(data or b'')} bytes")
            self.expect("listEventHandlers", lambda: a.call("listEventHandlers", [project]), 200,
                        lambda d: [x.event_type for x in d.data] == [event_type])
            self.expect("listSchedules", lambda: a.call("listSchedules", [project]), 200, lambda d: [x.cron for x in d.data] == ["0 3 * * *"])
            self.expect("listWebhooks", lambda: a.call("listWebhooks", [project]), 200,
                        lambda d: [x.path for x in d.data] == ["/stripe"] and "/webhook/default/" in d.data[0].url)
            self.expect("listMcpTools", lambda: a.call("listMcpTools", [project]), 200,
                        lambda d: [x.name for x in d.data] == ["lookup"] and d.data[0].url.endswith("/assist"))
            self.expect("deactivateProject", lambda: a.call("deactivateProject", [project]), 200,
                        lambda d: d.data.project.active is False and d.data.redeployed_build_id is None)
            self.expect("activateProject", lambda: a.call("activateProject", [project]), 200,
                        lambda d: d.data.project.active is True and str(d.data.redeployed_build_id) == build)
        self.step("uploadBuild", builds)

        def context():
            self.expect("createContextVariable", lambda: a.call("createContextVariable", [project],
                        body=a.body("CreateContextVariableRequest", {"key": "STRIPE_KEY", "value": "sk_test", "description": "payments"})),
                        201, lambda d: d.data.key == "STRIPE_KEY")
            self.expect("listContextVariables", lambda: a.call("listContextVariables", [project]), 200,
                        lambda d: [x.key for x in d.data] == ["STRIPE_KEY"])
            self.expect("updateContextVariable", lambda: a.call("updateContextVariable", [project, "STRIPE_KEY"],
                        body=a.body("UpdateContextVariableRequest", {"value": "sk_test_2"})), 200, lambda d: d.data.key == "STRIPE_KEY")
            self.expect("deleteContextVariable", lambda: a.call("deleteContextVariable", [project, "STRIPE_KEY"]), 204)
        self.step("createContextVariable", context)

        def events_and_runs():
            published = self.expect("publishEvent", lambda: a.call("publishEvent",
                                    body=a.body("PublishEventRequest", {"event_type": event_type, "event_data": {"order": 42}})),
                                    201, lambda d: d.data.event_type == event_type)
            event = str(published.data.event_id)
            state["stream"] = str(published.data.stream_id)
            self.expect("listEvents", lambda: a.call("listEvents", query={"limit": 100}), 200, lambda d: event in [str(x.event_id) for x in d.data])
            self.expect("getEvent", lambda: a.call("getEvent", [event]), 200, lambda d: d.data.event_data == {"order": 42}
                        or getattr(d.data.event_data, "additional_properties", None) == {"order": 42})
            # The zero-work runtime answers at once; the run is the queue's to finish (bounded wait).
            deadline = time.monotonic() + 60
            run = None
            while time.monotonic() < deadline:
                status, data = a.call("listEventRuns", [event])
                if status == 200 and data.data and str(data.data[0].status.value if hasattr(data.data[0].status, "value") else data.data[0].status) == "succeeded":
                    run = data.data[0]
                    break
                time.sleep(0.2)
            self.check("listEventRuns", run is not None, "no succeeded run for the event within 60 s")
            if run is None:
                return
            run_id = str(run.run_id)
            state["run"] = run_id
            self.expect("getRun", lambda: a.call("getRun", [run_id]), 200,
                        lambda d: d.data.status == a.enum("RunStatus", "succeeded") and d.data.run_type == a.enum("RunType", "event"))
            self.expect("listRuns", lambda: a.call("listRuns", query={"status": a.enum("RunStatus", "succeeded"), "type": a.enum("RunType", "event"),
                                                              "time_range": "PT1H"}), 200,
                        lambda d: run_id in [str(x.run_id) for x in d.data])
            self.expect("getRunStats", lambda: a.call("getRunStats", query={"type": a.enum("RunType", "event")}), 200,
                        lambda d: d.data.succeeded >= 1)
        self.step("publishEvent", events_and_runs)

        def feeds():
            for op, path, body in [
                ("subscribeEnv", [], None),
                ("subscribeStream", [state["stream"]], None),
                ("subscribeStreamPost", [state["stream"]], None),
                ("subscribeRun", [state["run"]], None),
                ("subscribeWithEvent", [], a.body("SubscribeWithEventRequest", {"event_type": event_type, "event_data": {"order": 43}})),
            ]:
                status, first = a.first_sse_bytes(op, path, body)
                self.check(op, status == 200 and first.startswith(b":"), f"HTTP {status}, first bytes {first[:40]!r}")
        self.step("subscribeEnv", feeds)

        def sessions():
            created = self.expect("createSession", lambda: a.call("createSession", body=a.body("CreateSessionRequest", {
                "permissions": {"stream:*": ["read"], "event:user:*": ["create"]}, "expires_in": 600})),
                201, lambda d: d.data.token.startswith("s_"))
            session = str(created.data.session_id)
            self.expect("listSessions", lambda: a.call("listSessions"), 200, lambda d: session in [str(x.session_id) for x in d.data])
            self.expect("revokeSession", lambda: a.call("revokeSession", [session]), 204)
            self.expect("createSession", lambda: a.call("createSession", body=a.body("CreateSessionRequest", {"permissions": {"env:*": ["read"]}})), 201)
            self.expect("revokeAllSessions", lambda: a.call("revokeAllSessions"), 200, lambda d: d.data.revoked_count >= 1)
            # The schema's rules and the server's table answer 400 in the envelope, which the client reads.
            self.expect("createSession", lambda: a.call("createSession", body=a.body("CreateSessionRequest", {"permissions": {"mcp:*": ["create"]}})),
                        400, lambda d: d.error.code == "bad_request" and "mcp:*" in d.error.message)
        self.step("createSession", sessions)

        def service_keys():
            created = self.expect("createServiceKey", lambda: a.call("createServiceKey", body=a.body("CreateServiceKeyRequest", {
                "name": f"{p} key", "permissions": {"mcp:weather/*": ["execute"]}, "metadata": {"customer_id": "acme-123"}})),
                201, lambda d: re.fullmatch(r"[0-9a-f]{32}_[0-9a-f]{32}", d.data.token))
            key = str(created.data.service_key_id)
            self.expect("listServiceKeys", lambda: a.call("listServiceKeys"), 200, lambda d: key in [str(x.service_key_id) for x in d.data])
            self.expect("getServiceKey", lambda: a.call("getServiceKey", [key]), 200, lambda d: d.data.name == f"{p} key")
            self.expect("updateServiceKey", lambda: a.call("updateServiceKey", [key], body=a.body("UpdateServiceKeyRequest", {
                "metadata": {"customer_id": "acme-456"}})), 200, lambda d: str(d.data.service_key_id) == key)
            self.expect("revokeServiceKey", lambda: a.call("revokeServiceKey", [key]), 204)
            self.expect("createServiceKey", lambda: a.call("createServiceKey", body=a.body("CreateServiceKeyRequest", {"permissions": {"env:*": ["read"]}})), 201)
            self.expect("revokeAllServiceKeys", lambda: a.call("revokeAllServiceKeys"), 200, lambda d: d.data.revoked_count >= 1)
        self.step("createServiceKey", service_keys)

        def domains():
            domain_name = f"{p}.example.com"
            created = self.expect("createDomain", lambda: a.call("createDomain", body=a.body("CreateDomainRequest", {"domain": domain_name})),
                                  201, lambda d: d.data.status == a.enum("DomainStatus", "pending_validation"))
            domain = str(created.data.domain_id)
            self.expect("listDomains", lambda: a.call("listDomains"), 200, lambda d: domain in [str(x.domain_id) for x in d.data])
            self.expect("getDomain", lambda: a.call("getDomain", [domain]), 200, lambda d: d.data.domain == domain_name)
            self.expect("verifyDomain", lambda: a.call("verifyDomain", [domain]), 200, lambda d: "CNAME" in d.data.message)
            self.expect("deleteDomain", lambda: a.call("deleteDomain", [domain]), 204)
        self.step("createDomain", domains)

        def files():
            path, content = f"{self.prefix}/reports/data.csv", b"a,b\n1,2\n"
            uploaded = self.expect("uploadFile", lambda: a.raw("uploadFile", [path], content), 200,
                                   lambda d: d.data.path == path and d.data.size == len(content))
            file_id = uploaded.data.file_id
            self.expect("listFiles", lambda: a.call("listFiles", query={"prefix": self.prefix}), 200,
                        lambda d: [str(f.file_id) for f in d.data] == [str(file_id)])
            self.expect("getFile", lambda: a.call("getFile", [file_id]), 200, lambda d: d.data.content_type == "text/csv")
            status, data = a.binary("downloadFile", [file_id])
            self.check("downloadFile", status == 200 and data == content, f"HTTP {status}, {data!r:.80}")
            self.expect("deleteFile", lambda: a.call("deleteFile", [file_id]), 204)

            def initiate(name, size):
                return a.call("initiateFileUpload", body=a.body("InitiateFileUploadRequest", {"path": f"{self.prefix}/{name}", "expected_size": size}))
            started = self.expect("initiateFileUpload", lambda: initiate("big.bin", 5), 201, lambda d: d.data.parts_expected == 1)
            upload = started.data.upload_id
            self.expect("uploadFilePart", lambda: a.raw("uploadFilePart", [upload, 1], b"hello"), 200, lambda d: d.data.size == 5)
            done = self.expect("completeFileUpload", lambda: a.call("completeFileUpload", [upload]), 200,
                               lambda d: d.data.size == 5 and d.data.etag.endswith("-1"))
            self.expect("deleteFile", lambda: a.call("deleteFile", [done.data.file_id]), 204)
            dropped = self.expect("initiateFileUpload", lambda: initiate("dropped.bin", 5), 201)
            self.expect("abortFileUpload", lambda: a.call("abortFileUpload", [dropped.data.upload_id]), 204)
        self.step("uploadFile", files)

        self.step("deleteProject", lambda: self.expect("deleteProject", lambda: a.call("deleteProject", [project]), 204))

        for op, result in self.results.items():
            if result is None:
                self.failures.append(f"{op}: never called (an earlier step failed, or the scenario lacks it)")
        return self.failures


def main():
    base, token, spec_path, generated = sys.argv[1:5]
    sys.path[:0] = [generated, f"{generated}/oag"]
    # The operations and their tags, from the spec (JSON is YAML; the spec is YAML proper).
    import yaml

    spec = yaml.safe_load(open(spec_path))
    tags = {op["operationId"]: op["tags"][0] for item in spec["paths"].values() for method, op in item.items()
            if method in ("get", "post", "put", "patch", "delete")}
    failed = False
    for prefix, make in [("opc", OpenAPIPythonClient), ("oag", OpenAPIGeneratorPython)]:
        started = time.monotonic()
        adapter = make(base, token, tags)
        failures = Scenario(adapter, f"{prefix}{uuid.uuid4().hex[:6]}", list(tags)).run()
        passed = len(tags) - len({f.split(":")[0] for f in failures})
        print(f"{adapter.label}: {passed}/{len(tags)} operations answered as documented "
              f"({time.monotonic() - started:.1f} s; SSE feeds read to their first line)")
        for failure in failures:
            print(f"  FAILED {failure}")
        failed = failed or bool(failures)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
