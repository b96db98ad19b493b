// Drives every method of the official TypeScript SDK (third_party/hot-js, unchanged) against a live
// hot-server, through `new HotClient({ baseUrl, token })`, and compares the server's operations
// (GET /openapi.json) with the calls the SDK makes. Run by scripts/sdk-check, which starts the
// server and passes BASE_URL, TOKEN and HOT_SDK_BUNDLE (a zip with a .wat handler).
//
// One line per method: ok, FAIL (with the request the SDK made, the answer, and what the SDK
// expected). tasks.* must answer 404,
// surfaced by the SDK as a HotApiError. Exits 1 when a method fails.
import { readFileSync } from "node:fs";
import { createHash, randomUUID } from "node:crypto";
import { HotClient, isHotApiError } from "../third_party/hot-js/packages/sdk/src/index.ts";
import { waitForRunResult } from "../third_party/hot-js/packages/sdk/src/streaming/index.ts";
import { postWebhook } from "../third_party/hot-js/packages/sdk/src/webhook/index.ts";
import { createHotProxyHandler } from "../third_party/hot-js/packages/sdk/src/proxy/index.ts";

const BASE_URL = process.env.BASE_URL ?? "";
const TOKEN = process.env.TOKEN ?? "";
const BUNDLE = process.env.HOT_SDK_BUNDLE ?? "";
if (!BASE_URL || !TOKEN || !BUNDLE) {
  console.error("usage: BASE_URL=… TOKEN=… HOT_SDK_BUNDLE=bundle.zip node … scripts/sdk_check.ts");
  process.exit(2);
}

// ---- Requests, as the SDK makes them (a recording fetch handed to HotClient).

interface Exchange { method: string; url: string; status?: number; body?: string }
const exchanges: Exchange[] = [];

const recordingFetch: typeof fetch = async (input, init) => {
  const exchange: Exchange = { method: (init?.method ?? "GET").toUpperCase(), url: String(input) };
  exchanges.push(exchange);
  const response = await fetch(input, init);
  exchange.status = response.status;
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("event-stream")) {
    exchange.body = await response.clone().text().catch(() => "");
  }
  return response;
};

const hot = new HotClient({ baseUrl: BASE_URL, token: TOKEN, fetch: recordingFetch });

function describe(exchange: Exchange | undefined): string {
  if (!exchange) return "no request made";
  const path = exchange.url.replace(BASE_URL, "");
  const body = exchange.body === undefined ? "(event stream)" : exchange.body.slice(0, 300) || "(empty)";
  return `${exchange.method} ${path} -> ${exchange.status ?? "no answer"} ${body}`;
}

// ---- Results, one per SDK method.

type Outcome = "ok" | "FAIL" | "not implemented";
const results = new Map<string, { outcome: Outcome; detail: string }>();

function record(method: string, outcome: Outcome, detail = "") {
  const previous = results.get(method);
  if (previous?.outcome === "FAIL") {                                 // failures add up
    if (outcome === "FAIL") previous.detail += `\n        and: ${detail}`;
    return;
  }
  if (previous && outcome === "ok" && previous.outcome === "ok") return;
  results.set(method, { outcome, detail });
}

class CheckError extends Error {}
function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckError(message);
}

/** Answers that lack fields the SDK's types require, in the current check (reported when it ends, so
 * that the scenario goes on with what the answer does have). */
let shapeIssues: Array<{ issue: string; exchange?: Exchange }> = [];

/** Fields the SDK's TypeScript type declares as required (a missing key is a gap a user would hit). */
function fields(value: unknown, names: string[], what: string) {
  expect(value !== null && typeof value === "object", `${what}: expected an object, got ${JSON.stringify(value)?.slice(0, 200)}`);
  const missing = names.filter((name) => !(name in (value as Record<string, unknown>)));
  if (missing.length > 0) {
    shapeIssues.push({ issue: `${what} lacks ${missing.join(", ")} (required by the SDK's type)`, exchange: exchanges.at(-1) });
  }
}

function listEnvelope(envelope: { data: unknown; pagination?: unknown; meta?: unknown }, what: string) {
  expect(Array.isArray(envelope.data), `${what}: data is not an array`);
  fields(envelope.pagination, ["total", "limit", "offset", "has_more"], "Pagination");
  fields(envelope.meta, ["request_id", "timestamp"], "ResponseMeta");
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new CheckError(`${what}: no answer within ${ms / 1000} s`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

/** Runs `body` as a check of `method`; on failure, records the last request made. */
async function check(method: string, body: () => Promise<string | void>, timeoutMs = 30_000) {
  const first = exchanges.length;
  shapeIssues = [];
  try {
    const note = await withTimeout(body(), timeoutMs, method);
    if (shapeIssues.length > 0) {
      const issues = [...new Set(shapeIssues.map((s) => s.issue))].join("; ");
      record(method, "FAIL", `${issues}; request: ${describe(shapeIssues[0].exchange)}`);
      return false;
    }
    record(method, "ok", note ?? "");
    return true;
  } catch (error) {
    const made = exchanges.slice(first);
    const last = isHotApiError(error)
      ? [...made].reverse().find((x) => x.status === error.status) ?? made.at(-1)
      : made.at(-1);
    record(method, "FAIL", `${message(error)}; request: ${describe(last)}`);
    return false;
  }
}

function message(error: unknown): string {
  if (isHotApiError(error)) return `HotApiError ${error.status} ${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name === "Error" || error instanceof CheckError ? "" : `${error.name}: `}${error.message}`;
  return String(error);
}

/** Waits (bounded) until a request whose URL contains `fragment` has been answered. */
async function answered(fragment: string, from: number, ms = 5_000): Promise<Exchange> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const hit = exchanges.slice(from).find((x) => x.url.includes(fragment) && x.status !== undefined);
    if (hit) return hit;
    await sleep(20);
  }
  throw new CheckError(`no answer to ${fragment} within ${ms / 1000} s`);
}

function sleep(ms: number) { return new Promise((resolve) => setTimeout(resolve, ms)); }

/** Collects a feed's items until `done` says so, or `ms` elapse (then aborts the request). */
async function collect<T extends { type: string }>(
  open: (signal: AbortSignal) => AsyncGenerator<T, void, undefined>,
  done: (item: T, all: T[]) => boolean,
  ms: number,
  onOpen?: () => Promise<void>,
): Promise<{ items: T[]; finished: boolean; ended: boolean }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new CheckError("feed timeout")), ms);
  const items: T[] = [];
  const from = exchanges.length;
  const feed = open(controller.signal);
  const reading = (async () => {
    for await (const item of feed) {
      items.push(item);
      if (done(item, items)) return "finished" as const;
    }
    return "ended" as const;
  })();
  try {
    if (onOpen) {
      await Promise.race([answered("/", from, ms), reading]);
      await onOpen();
    }
    const how = await reading;
    return { items, finished: how === "finished", ended: how === "ended" };
  } catch (error) {
    if (controller.signal.aborted && error instanceof CheckError) return { items, finished: false, ended: false };
    throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

async function expectApiError(promise: Promise<unknown>, status: number, what: string) {
  try {
    await promise;
  } catch (error) {
    expect(isHotApiError(error), `${what}: expected a HotApiError ${status}, got ${message(error)}`);
    expect(error.status === status, `${what}: expected HTTP ${status}, got ${error.status} (${error.message})`);
    return error;
  }
  throw new CheckError(`${what}: expected HTTP ${status}, the call succeeded`);
}

const RUN_FIELDS = ["run_id", "env_id", "stream_id", "build_id", "run_type", "status", "start_time", "stop_time",
  "origin_run_id", "event_id", "result", "project_id", "project_name", "retry_attempt"];
const EVENT_FIELDS = ["event_id", "env_id", "stream_id", "event_type", "event_data", "event_time", "created_at"];
const PROJECT_FIELDS = ["project_id", "env_id", "name", "active", "created_at", "updated_at"];
const BUILD_FIELDS = ["build_id", "project_id", "hash", "size", "build_type", "deployed", "active", "created_at", "updated_at"];
const FILE_FIELDS = ["file_id", "path", "size", "etag", "content_type", "storage_backend", "created_at", "updated_at"];
const DOMAIN_FIELDS = ["domain_id", "env_id", "domain", "status", "dns_records", "created_at"];

// ---- The scenario.

const state: Record<string, string> = {};
const project = `sdk-check-${Date.now().toString(36)}`;
const renamed = `${project}-renamed`;
const bundle = readFileSync(BUNDLE);
const bundleHash = createHash("sha256").update(bundle).digest("hex");

/** Polls events.getRuns (bounded) until the event has a finished run. */
async function finishedRun(eventId: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const runs = await hot.events.getRuns(eventId);
    const run = runs.data.find((r) => ["succeeded", "failed", "cancelled"].includes(r.status));
    if (run) return run;
    await sleep(100);
  }
  throw new CheckError(`event ${eventId}: no finished run within ${ms / 1000} s`);
}

async function scenario() {
  // env, org
  await check("env.get", async () => {
    const env = await hot.env.get();
    fields(env, ["env_id", "org_id", "name", "active"], "EnvInfo");
    state.env = env.name;
  });
  await check("org.usage", async () => {
    const usage = await hot.org.usage();
    fields(usage, ["org_id", "usage", "limits", "usage_percent", "plan"], "OrgUsage");
    fields(usage.usage, ["runs_this_period", "file_storage_bytes", "team_members", "call_storage_bytes", "call_count",
      "store_storage_bytes", "active_schedules"], "OrgUsage.usage");
    fields(usage.limits, ["runs_per_month", "storage_bytes", "team_members", "call_retention_days", "call_storage_bytes",
      "store_storage_bytes", "compute_units_per_month", "compute_units_used", "compute_units_budget",
      "task_minutes_per_month", "active_schedules_per_org"], "OrgUsage.limits");
    fields(usage.usage_percent, ["runs", "file_storage", "team_members", "call_storage", "store_storage",
      "active_schedules", "has_warning"], "OrgUsage.usage_percent");
    fields(usage.plan, ["name", "period_start", "period_end"], "OrgUsage.plan");
  });

  // projects
  await check("projects.create", async () => {
    const created = await hot.projects.create({ name: project });
    fields(created, PROJECT_FIELDS, "ProjectRecord");
    expect(created.name === project, `name ${created.name}`);
    state.projectId = created.project_id;
  });
  await check("projects.list", async () => {
    const listed = await hot.projects.list({ limit: 100 });
    listEnvelope(listed, "projects.list");
    const mine = listed.data.find((p) => p.name === project);
    expect(mine, "the new project is not listed");
    fields(mine, PROJECT_FIELDS, "ProjectRecord");
  });
  await check("projects.get", async () => {
    const got = await hot.projects.get(project);
    fields(got, PROJECT_FIELDS, "ProjectRecord");
    expect(got.project_id === state.projectId, "another project");
    const byId = await hot.projects.get(state.projectId);
    expect(byId.name === project, "by id: another project");
    const missing = await expectApiError(hot.projects.get(`${project}-missing`), 404, "a missing project");
    // HotApiError reads the error envelope: code and request_id.
    expect(missing.code === "not_found" && missing.requestId, `HotApiError code ${missing.code}, requestId ${missing.requestId}`);
  });
  await check("projects.update", async () => {
    const updated = await hot.projects.update(project, { name: renamed });
    fields(updated, PROJECT_FIELDS, "ProjectRecord");
    expect(updated.name === renamed, `name ${updated.name}`);
  });
  const p = renamed;

  // builds
  await check("builds.upload", async () => {
    const uploaded = await hot.builds.upload(p, { file: new Blob([bundle]), hash: bundleHash });
    fields(uploaded, ["build_id", "project_id", "hash", "size", "storage_path", "storage_backend", "created_at"], "BuildUploadResponse");
    expect(uploaded.size === bundle.length && uploaded.hash === bundleHash, `size ${uploaded.size}, hash ${uploaded.hash}`);
    state.build = uploaded.build_id;
  });
  await check("builds.upload", async () => {
    // With a build_id of the client's choosing (UploadBuildOptions.build_id).
    const buildId = randomUUID();
    const uploaded = await hot.builds.upload(p, { file: new Blob([bundle]), hash: bundleHash, build_id: buildId, filename: "again.hot.zip" });
    expect(uploaded.build_id === buildId, `build_id ${uploaded.build_id}, not the ${buildId} asked for`);
    state.build = buildId;   // the newest build: what activation redeploys
  });
  await check("builds.list", async () => {
    const listed = await hot.builds.list();
    listEnvelope(listed, "builds.list");
    const mine = listed.data.find((b) => b.build_id === state.build);
    expect(mine, "the new build is not listed");
    fields(mine, [...BUILD_FIELDS, "project_name"], "BuildWithProjectRecord");
  });
  await check("builds.listForProject", async () => {
    const listed = await hot.builds.listForProject(p);
    listEnvelope(listed, "builds.listForProject");
    expect(listed.data.some((b) => b.build_id === state.build), "the new build is not listed");
  });
  await check("builds.get", async () => {
    const got = await hot.builds.get(p, state.build);
    fields(got, BUILD_FIELDS, "BuildRecord");
    expect(got.build_id === state.build, "another build");
  });
  await check("builds.deploy", async () => {
    const deployed = await hot.builds.deploy(p, state.build);
    fields(deployed, BUILD_FIELDS, "BuildRecord");
    expect(deployed.deployed === true, `deployed ${deployed.deployed}`);
  });
  await check("builds.deployed", async () => {
    const deployed = await hot.builds.deployed(p);
    fields(deployed, BUILD_FIELDS, "BuildRecord");
    expect(deployed.build_id === state.build, "another build");
  });
  await check("builds.live", async () => {
    // Live (development) builds come from the Hot tools' dev mode, not this API: our spec documents
    // a 404, which the SDK surfaces as an error.
    try {
      const live = await hot.builds.live(p);
      fields(live, BUILD_FIELDS, "BuildRecord");
      return "a live build";
    } catch (error) {
      expect(isHotApiError(error) && error.status === 404, `expected a BuildRecord or a 404, got ${message(error)}`);
      return "404 not_found (no live build: dev builds are not made through this API)";
    }
  });
  await check("builds.download", async () => {
    const response = await hot.builds.download(p, state.build);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.equals(bundle), `downloaded ${bytes.length} bytes, not the ${bundle.length} uploaded`);
  });

  await check("projects.eventHandlers", async () => {
    const handlers = await hot.projects.eventHandlers(p);
    listEnvelope(handlers, "projects.eventHandlers");
    expect(handlers.data.length === 2, `${handlers.data.length} handlers`);
    fields(handlers.data[0], ["event_handler_id", "build_id", "event_type", "ns", "var"], "EventHandlerRecord");
    const h = handlers.data[0];
    expect(h.event_type === "sdk:ping" && h.ns === "::sdk::check" && h.var === "answer", JSON.stringify(h));
  });
  await check("projects.schedules", async () => {
    const schedules = await hot.projects.schedules(p);
    listEnvelope(schedules, "projects.schedules");
    expect(schedules.data.length === 1, `${schedules.data.length} schedules`);
    fields(schedules.data[0], ["schedule_id", "build_id", "cron", "ns", "var"], "ScheduleRecord");
    expect(schedules.data[0].cron === "0 3 * * *", schedules.data[0].cron);
  });
  await check("projects.deactivate", async () => {
    const answer = await hot.projects.deactivate(p);
    fields(answer, ["project"], "ProjectActivateResponse");
    fields(answer.project, PROJECT_FIELDS, "ProjectRecord");
    expect(answer.project.active === false, "still active");
  });
  await check("projects.activate", async () => {
    const answer = await hot.projects.activate(p);
    fields(answer, ["project"], "ProjectActivateResponse");
    expect(answer.project.active === true, "not active");
    expect(answer.redeployed_build_id === state.build, `redeployed ${answer.redeployed_build_id}`);
  });

  // context
  await check("context.create", async () => {
    const created = await hot.context.create(p, { key: "SDK_SECRET", value: "s3cret", description: "from the SDK" });
    fields(created, ["key", "created_at", "updated_at"], "ContextVariableRecord");
    expect(created.key === "SDK_SECRET", created.key);
    expect(!("value" in created), "the value is echoed back");
  });
  await check("context.list", async () => {
    const listed = await hot.context.list(p);
    listEnvelope(listed, "context.list");
    expect(listed.data.map((c) => c.key).join() === "SDK_SECRET", listed.data.map((c) => c.key).join());
  });
  await check("context.update", async () => {
    const updated = await hot.context.update(p, "SDK_SECRET", { value: "s3cret-2", description: null });
    fields(updated, ["key", "created_at", "updated_at"], "ContextVariableRecord");
  });
  await check("context.delete", async () => {
    await hot.context.delete(p, "SDK_SECRET");
    expect((await hot.context.list(p)).data.length === 0, "still listed");
  });

  // events and runs
  await check("events.publish", async () => {
    const event = await hot.events.publish({ event_type: "sdk:ping", event_data: { n: 1 } });
    fields(event, EVENT_FIELDS, "EventRecord");
    expect(event.event_type === "sdk:ping", event.event_type);
    state.event = event.event_id;
    state.stream = event.stream_id;
  });
  await check("events.list", async () => {
    const listed = await hot.events.list({ limit: 50 });
    listEnvelope(listed, "events.list");
    const mine = listed.data.find((e) => e.event_id === state.event);
    expect(mine, "the event is not listed");
    fields(mine, EVENT_FIELDS, "EventRecord");
  });
  await check("events.get", async () => {
    const event = await hot.events.get(state.event);
    fields(event, EVENT_FIELDS, "EventRecord");
    expect(JSON.stringify(event.event_data) === '{"n":1}', JSON.stringify(event.event_data));
  });
  await check("events.getRuns", async () => {
    const run = await finishedRun(state.event);
    fields(run, RUN_FIELDS, "RunRecord");
    expect(run.status === "succeeded", `run ${run.run_id} ${run.status}: ${JSON.stringify(run.result)}`);
    expect(JSON.stringify(run.result) === '{"$ok":42}', `result ${JSON.stringify(run.result)}`);
    state.run = run.run_id;
  });
  await check("runs.get", async () => {
    const run = await hot.runs.get(state.run);
    fields(run, RUN_FIELDS, "RunRecord");
    expect(run.run_id === state.run && run.event_id === state.event && run.run_type === "event",
      `${run.run_id} ${run.event_id} ${run.run_type}`);
  });
  await check("runs.list", async () => {
    const listed = await hot.runs.list({ status: "succeeded", type: "event", time_range: "PT1H", limit: 50 });
    listEnvelope(listed, "runs.list");
    const mine = listed.data.find((r) => r.run_id === state.run);
    expect(mine, "the run is not listed");
    fields(mine, RUN_FIELDS, "RunRecord");
  });
  await check("runs.stats", async () => {
    const stats = await hot.runs.stats();
    fields(stats, ["total_runs", "running", "succeeded", "failed", "cancelled"], "RunStats");
    expect(stats.succeeded >= 1, `succeeded ${stats.succeeded}`);
  });
  await check("runs.subscribe", async () => {
    // A finished run: its feed gives its state and ends.
    const feed = await collect((signal) => hot.runs.subscribe(state.run, { signal }), (u) => u.run.status === "succeeded", 10_000);
    expect(feed.items.length > 0, "no run:update (finished run)");
    fields(feed.items[0].run, RUN_FIELDS, "RunRecord");
  });
  await check("runs.wait", async () => {
    // On a finished run, then on a run just started.
    const done = await hot.runs.wait(state.run, { timeoutMs: 10_000 });
    expect(done.status === "succeeded", done.status);
    const event = await hot.events.publish({ event_type: "sdk:ping", event_data: { n: 2 } });
    let runId: string | undefined;
    for (let i = 0; i < 200 && !runId; i++) {
      runId = (await hot.events.getRuns(event.event_id)).data[0]?.run_id;
      if (!runId) await sleep(25);
    }
    expect(runId, "no run for a new event within 5 s");
    const waited = await hot.runs.wait(runId, { timeoutMs: 15_000 });
    fields(waited, RUN_FIELDS, "RunRecord");
    expect(waited.status === "succeeded" && JSON.stringify(waited.result) === '{"$ok":42}',
      `${waited.status} ${JSON.stringify(waited.result)}`);
  });

  // streams
  await check("streams.subscribe", async () => {
    let published = "";
    const feed = await collect(
      (signal) => hot.streams.subscribe(state.stream, { signal }),
      (e) => e.type === "run:stop" && (e as { run?: { event_id?: string } }).run?.event_id === published,
      15_000,
      async () => { published = (await hot.events.publish({ event_type: "sdk:ping", event_data: { n: 3 }, stream_id: state.stream })).event_id; },
    );
    expect(feed.finished, `no run:stop for the event published on the stream; saw ${feed.items.map((e) => e.type).join(", ") || "nothing"}`);
    const data = feed.items.find((e) => e.type === "stream:data") as { run_id?: string; data_type?: string; payload?: { text?: string } } | undefined;
    expect(data?.payload?.text === "forty-two" && data.run_id, `stream:data ${JSON.stringify(data)}`);
    const stop = feed.items.at(-1) as { run?: unknown };
    fields(stop.run, RUN_FIELDS, "RunRecord (run:stop)");
    // The SDK's `project` option (?project=…).
    const scoped = await collect((signal) => hot.streams.subscribe(state.stream, { project: p, signal }), () => true, 3_000,
      async () => { await hot.events.publish({ event_type: "sdk:ping", event_data: { n: 31 }, stream_id: state.stream }); });
    expect(scoped.items.length > 0, "with { project }: no event");
  });
  await check("streams.subscribePost", async () => {
    let published = "";
    const feed = await collect(
      (signal) => hot.streams.subscribePost(state.stream, { signal }),
      (e) => e.type === "run:stop" && (e as { run?: { event_id?: string } }).run?.event_id === published,
      15_000,
      async () => { published = (await hot.events.publish({ event_type: "sdk:ping", event_data: { n: 4 }, stream_id: state.stream })).event_id; },
    );
    expect(feed.finished, `no run:stop for the event published on the stream; saw ${feed.items.map((e) => e.type).join(", ") || "nothing"}`);
  });
  await check("streams.subscribeWithEvent", async () => {
    const seen: string[] = [];
    let eventId: string | undefined;
    let result: unknown;
    for await (const event of hot.streams.subscribeWithEvent({ event_type: "sdk:ping", event_data: { n: 5 } })) {
      seen.push(event.type);
      if (event.type === "event:published") {
        fields(event, ["event_id", "stream_id", "event_type"], "EventPublishedEvent");
        eventId = (event as { event_id?: string }).event_id;
      }
      if (event.type === "run:stop") result = (event as { run?: { result?: unknown } }).run?.result;
    }
    // The SDK returns once the published event's run ends (run:stop/fail/cancel).
    expect(eventId, `no event:published; saw ${seen.join(", ")}`);
    expect(seen.includes("run:start") && seen.includes("run:stop"), `saw ${seen.join(", ")}`);
    expect(JSON.stringify(result) === '{"$ok":42}', `run:stop result ${JSON.stringify(result)}`);
  });
  await check("streams.subscribeWithEvent", async () => {
    // The SDK's `project` option (?project=…), and `reconnect: false` (one connection).
    const seen: string[] = [];
    for await (const event of hot.streams.subscribeWithEvent({ event_type: "sdk:ping", event_data: { n: 51 } }, { project: p, reconnect: false })) {
      seen.push(event.type);
      if (event.type === "run:stop") break;
    }
    expect(seen.includes("event:published") && seen.includes("run:stop"), `with { project, reconnect: false }: saw ${seen.join(", ")}`);
  });
  await check("events.callHot", async () => {
    const chunks: string[] = [];
    const value = await hot.events.callHot("::sdk::check/answer", [1, "two"], { timeoutMs: 20_000, onChunk: (t) => chunks.push(t) });
    expect(value === 42, `returned ${JSON.stringify(value)}, not 42`);
    expect(chunks.join("") === "forty-two", `onChunk got ${JSON.stringify(chunks)} (stream:data of the call's run)`);
  });
  await check("events.callHot", async () => {
    // A failing function: the SDK throws an Error whose message it reads from the run's result
    // (runResultMessage: a string, or $err / $val / error / message / msg / reason / err in it).
    const error = await hot.events.callHot("::sdk::check/fail", [], { timeoutMs: 20_000 }).then(() => null, (e) => e);
    expect(error instanceof Error, "the call of a failing function did not throw");
    expect(!isHotApiError(error), `an API error: ${message(error)}`);
    expect(error.message.includes("boom"), `a failing call throws "${error.message}": the handler's error is not where the SDK reads it`);
  });
  await check("runs.wait", async () => {
    const event = await hot.events.publish({ event_type: "sdk:fail", event_data: {} });
    let runId: string | undefined;
    for (let i = 0; i < 200 && !runId; i++) {
      runId = (await hot.events.getRuns(event.event_id)).data[0]?.run_id;
      if (!runId) await sleep(25);
    }
    expect(runId, "no run for an sdk:fail event within 5 s");
    const error = await hot.runs.wait(runId, { timeoutMs: 15_000 }).then(() => null, (e) => e);
    expect(error?.name === "HotRunError", `runs.wait on a failing run: ${error ? message(error) : "resolved"}`);
    expect(error.run?.status === "failed", `HotRunError.run.status ${error.run?.status}`);
    expect(error.message.includes("boom"), `HotRunError says "${error.message}": the handler's error is not where the SDK reads it`);
  });
  await check("streaming.waitForRunResult", async () => {
    // The SDK's helper: publish, then subscribe to the stream and wait for the event's run.
    const event = await hot.events.publish({ event_type: "sdk:ping", event_data: { n: 6 } });
    const run = await waitForRunResult(hot.http, event.stream_id, event.event_id, { timeoutMs: 15_000, maxReconnectAttempts: 1 });
    expect(run.status === "succeeded", run.status);
  });

  // env feed
  await check("env.subscribe", async () => {
    let published = "";
    const feed = await collect(
      (signal) => hot.env.subscribe({ signal }),
      (e) => e.type === "run:stop" && (e as { event_id?: string }).event_id === published,
      15_000,
      async () => { published = (await hot.events.publish({ event_type: "sdk:ping", event_data: { n: 7 } })).event_id; },
    );
    expect(feed.items.length > 0, "no event on the env feed while an event was published and handled");
    const start = feed.items.find((e) => e.type === "run:start");
    expect(start, `no run:start; saw ${feed.items.map((e) => e.type).join(", ")}`);
    fields(start, ["run_id", "env_id", "stream_id", "run_type"], "EnvSubscriptionEvent run:start");
    expect(feed.finished, `no run:stop with event_id ${published}; saw ${feed.items.map((e) => e.type).join(", ")}`);
  });

  // helpers of the SDK's other entry points that reach the server
  await check("webhook.postWebhook", async () => {
    const hooks = await hot.http.requestList<{ url: string; path: string }>("GET", `/projects/${encodeURIComponent(p)}/webhooks`);
    const hook = hooks.data.find((h) => h.path === "/web/messages");
    expect(hook, "the bundle's webhook is not listed");
    const token = hook.url.split("/").at(-1) ?? "";
    const answer = await postWebhook(hot.http, { orgSlug: "default", envName: state.env, service: "agent", token },
      { session_id: "s1", user_id: "u1", text: "hello" });
    // The bundle's function returns {"$ok": 42}: a webhook answers with the value (docs/calls.md).
    expect(JSON.stringify(answer) === "42", JSON.stringify(answer));
    return `answer ${JSON.stringify(answer)}`;
  });
  await check("proxy.createHotProxyHandler", async () => {
    const handler = createHotProxyHandler(hot);
    const response = await handler(new Request("http://bff.test/api/hot", {
      method: "POST", body: JSON.stringify({ eventType: "sdk:ping", eventData: { n: 8 } }),
    }));
    expect(response.status === 200, `status ${response.status}`);
    const text = await withTimeout((async () => {
      const reader = response.body!.getReader();
      let all = "";
      while (!all.includes('"run:stop"')) {
        const { done, value } = await reader.read();
        if (done) break;
        all += new TextDecoder().decode(value);
      }
      await reader.cancel();
      return all;
    })(), 15_000, "the proxied feed");
    expect(text.includes('"event:published"') && text.includes('"run:stop"'), `proxied feed: ${text.slice(0, 200)}`);
  });

  // sessions
  await check("sessions.create", async () => {
    const session = await hot.sessions.create({ permissions: { "stream:*": ["read"], "event:sdk:*": ["create"] }, metadata: { who: "sdk" }, expires_in: 600 });
    fields(session, ["session_id", "permissions", "expires_at", "created_at"], "SessionRecord");
    expect(typeof session.token === "string" && session.token.length > 0, "no token");
    state.session = session.session_id;
    // The session works as a bearer token for what it may do.
    const asSession = new HotClient({ baseUrl: BASE_URL, token: session.token!, fetch: recordingFetch });
    const event = await asSession.events.publish({ event_type: "sdk:as-session", event_data: {} });
    expect(event.event_type === "sdk:as-session", "publish as the session");
  });
  await check("sessions.list", async () => {
    const listed = await hot.sessions.list();
    listEnvelope(listed, "sessions.list");
    const mine = listed.data.find((s) => s.session_id === state.session);
    expect(mine, "the session is not listed");
    fields(mine, ["session_id", "permissions", "expires_at", "created_at"], "SessionRecord");
  });
  await check("sessions.revoke", async () => {
    await hot.sessions.revoke(state.session);
    expect(!(await hot.sessions.list()).data.some((s) => s.session_id === state.session), "still listed");
  });
  await check("sessions.revokeAll", async () => {
    await hot.sessions.create({ permissions: { "env:*": ["read"] } });
    const revoked = await hot.sessions.revokeAll();
    fields(revoked, ["revoked_count"], "RevokeAllResponse");
    expect(revoked.revoked_count >= 1, `revoked_count ${revoked.revoked_count}`);
  });

  // service keys
  const SERVICE_KEY_FIELDS = ["service_key_id", "permissions", "created_at"];
  await check("serviceKeys.create", async () => {
    const key = await hot.serviceKeys.create({ name: "sdk key", description: "from the SDK", permissions: { "env:*": ["read"] }, metadata: { customer: "acme" } });
    fields(key, SERVICE_KEY_FIELDS, "ServiceKeyRecord");
    expect(typeof key.token === "string" && key.token.length > 0, "no token");
    state.key = key.service_key_id;
    const asKey = new HotClient({ baseUrl: BASE_URL, token: key.token!, fetch: recordingFetch });
    expect((await asKey.env.get()).name === state.env, "env.get as the service key");
  });
  await check("serviceKeys.list", async () => {
    const listed = await hot.serviceKeys.list();
    listEnvelope(listed, "serviceKeys.list");
    const mine = listed.data.find((k) => k.service_key_id === state.key);
    expect(mine, "the key is not listed");
    fields(mine, SERVICE_KEY_FIELDS, "ServiceKeyRecord");
  });
  await check("serviceKeys.get", async () => {
    const key = await hot.serviceKeys.get(state.key);
    fields(key, SERVICE_KEY_FIELDS, "ServiceKeyRecord");
    expect(key.name === "sdk key", `name ${key.name}`);
    expect(!key.token, "the token is shown again");
  });
  await check("serviceKeys.update", async () => {
    const key = await hot.serviceKeys.update(state.key, { metadata: { customer: "globex" } });
    fields(key, SERVICE_KEY_FIELDS, "ServiceKeyRecord");
    expect(JSON.stringify(key.metadata) === '{"customer":"globex"}', `metadata ${JSON.stringify(key.metadata)}`);
  });
  await check("serviceKeys.revoke", async () => {
    await hot.serviceKeys.revoke(state.key);
    const key = await hot.serviceKeys.get(state.key).catch((e) => e);
    expect(isHotApiError(key) ? key.status === 404 : Boolean(key.revoked_at), `after revoke: ${isHotApiError(key) ? key.status : JSON.stringify(key)}`);
  });
  await check("serviceKeys.revokeAll", async () => {
    await hot.serviceKeys.create({ permissions: { "env:*": ["read"] } });
    const revoked = await hot.serviceKeys.revokeAll();
    fields(revoked, ["revoked_count"], "RevokeAllServiceKeysResponse");
    expect(revoked.revoked_count >= 1, `revoked_count ${revoked.revoked_count}`);
  });

  // domains
  await check("domains.create", async () => {
    const domain = await hot.domains.create({ domain: "sdk-check.example.com" });
    state.domain = domain.domain_id;
    fields(domain, DOMAIN_FIELDS, "DomainRecord");
    if (Array.isArray(domain.dns_records)) {
      expect(domain.dns_records.length > 0, "dns_records is empty: nothing tells the user what to set");
      fields(domain.dns_records[0], ["type", "name", "value", "purpose"], "DnsRecord");
    }
  });
  await check("domains.list", async () => {
    const listed = await hot.domains.list();
    listEnvelope(listed, "domains.list");
    const mine = listed.data.find((d) => d.domain_id === state.domain);
    expect(mine, "the domain is not listed");
    fields(mine, DOMAIN_FIELDS, "DomainRecord");
  });
  await check("domains.get", async () => {
    const domain = await hot.domains.get(state.domain);
    fields(domain, DOMAIN_FIELDS, "DomainRecord");
    expect(domain.domain === "sdk-check.example.com", domain.domain);
  });
  await check("domains.verify", async () => {
    const answer = await hot.domains.verify(state.domain);
    fields(answer, ["domain_id", "domain", "status", "message"], "DomainVerifyResponse");
    return `${answer.status}: ${answer.message}`;
  });
  await check("domains.delete", async () => {
    await hot.domains.delete(state.domain);
    // Deletion is asynchronous (our spec): the domain is gone, or `deleting` until torn down.
    const after = await hot.domains.get(state.domain).catch((e) => e);
    if (isHotApiError(after)) expect(after.status === 404, `after delete: ${after.status}`);
    else expect(after.status === "deleting", `after delete: status ${after.status}`);
    return isHotApiError(after) ? "gone" : "deleting";
  });

  // tasks: need the Hot VM; the server answers 404, which the SDK must surface as an error.
  const task = randomUUID();
  await check("tasks.get", async () => { await expectApiError(hot.tasks.get(task), 404, "tasks.get"); return "404, surfaced as HotApiError"; });
  await check("tasks.subscribe", async () => {
    await expectApiError(hot.tasks.subscribe(task).next(), 404, "tasks.subscribe");
    return "404, surfaced as HotApiError";
  });
  await check("tasks.wait", async () => {
    await expectApiError(hot.tasks.wait(task, { timeoutMs: 10_000, maxReconnectAttempts: 1 }), 404, "tasks.wait");
    return "404, surfaced as HotApiError";
  });

  // files: a file at a path with slashes, replaced, listed, read, downloaded, deleted; a multipart
  // upload whose parts arrive out of order; an aborted one.
  const fileText = "hello from the SDK\n";
  await check("files.upload", async () => {
    const file = await hot.files.upload("sdk/dir/hello.txt", fileText, { contentType: "text/plain" });
    fields(file, FILE_FIELDS, "FileRecord");
    expect(file.path === "sdk/dir/hello.txt", `path ${file.path}`);
    expect(file.size === fileText.length, `size ${file.size}`);
    expect(file.etag === createHash("md5").update(fileText).digest("hex"), `etag ${file.etag}`);
    state.file = file.file_id;
    const again = await hot.files.upload("sdk/dir/hello.txt", fileText + fileText);
    expect(again.file_id === file.file_id, "uploading the same path again made another file");
    expect(again.size === 2 * fileText.length, `replaced size ${again.size}`);
  });
  await check("files.list", async () => {
    const listed = await hot.files.list({ prefix: "sdk/dir" });
    listEnvelope(listed, "files.list");
    const mine = listed.data.find((f) => f.file_id === state.file);
    expect(mine, "the uploaded file is not listed");
    fields(mine, FILE_FIELDS, "FileRecord");
    expect((await hot.files.list({ prefix: "no-such-prefix" })).data.length === 0, "a prefix nothing has listed files");
  });
  await check("files.get", async () => {
    const file = await hot.files.get(state.file);
    fields(file, FILE_FIELDS, "FileRecord");
    expect(file.content_type === "text/plain", `content_type ${file.content_type}`);
  });
  await check("files.download", async () => {
    const response = await hot.files.download(state.file);
    const text = await response.text();
    expect(text === fileText + fileText, `downloaded ${JSON.stringify(text.slice(0, 60))}`);
    expect((response.headers.get("content-disposition") ?? "").includes('filename="hello.txt"'), "no attachment file name");
  });
  await check("files.delete", async () => {
    await hot.files.delete(state.file);
    await expectApiError(hot.files.get(state.file), 404, "the deleted file");
  });
  const first = new Uint8Array(5 * 1024 * 1024).map((_, i) => (i * 7) & 0xff);
  const last = new TextEncoder().encode("the last part");
  await check("files.initiateUpload", async () => {
    const upload = await hot.files.initiateUpload({ path: "sdk/big.bin" });
    fields(upload, ["upload_id", "path", "part_size", "expires_at"], "InitiateUploadResponse");
    expect(upload.path === "sdk/big.bin", `path ${upload.path}`);
    state.upload = upload.upload_id;
  });
  await check("files.uploadPart", async () => {
    const second = await hot.files.uploadPart(state.upload, 2, last);
    fields(second, ["part_number", "size", "etag"], "UploadPartResponse");
    expect(second.part_number === 2 && second.size === last.length, `part ${JSON.stringify(second)}`);
    const firstPart = await hot.files.uploadPart(state.upload, 1, first);
    expect(firstPart.size === first.length, `part 1 size ${firstPart.size}`);
  });
  await check("files.completeUpload", async () => {
    const file = await hot.files.completeUpload(state.upload);
    fields(file, FILE_FIELDS, "FileRecord");
    expect(file.size === first.length + last.length, `size ${file.size}`);
    const bytes = new Uint8Array(await (await hot.files.download(file.file_id)).arrayBuffer());
    expect(bytes.length === first.length + last.length && bytes[first.length] === last[0] && bytes[1] === 7, "the parts are not joined in order");
    await hot.files.delete(file.file_id);
  });
  await check("files.abortUpload", async () => {
    const upload = await hot.files.initiateUpload({ path: "sdk/dropped.bin", expected_size: 5 });
    await hot.files.abortUpload(upload.upload_id);
    await expectApiError(hot.files.uploadPart(upload.upload_id, 1, "hello"), 409, "a part of an aborted upload");
  });

  // last: the project goes
  await check("projects.delete", async () => {
    await hot.projects.delete(p);
    await expectApiError(hot.projects.get(p), 404, "the deleted project");
  });
}

// ---- Coverage: our operations (GET /openapi.json) against the calls the SDK makes.
// The idea of the SDK's test/openapi-coverage.test.ts, from the other side: every SDK method is
// called against a stub fetch (no server), its request recorded, and matched to our spec.

interface Operation { method: string; path: string; id: string; regex: RegExp }

async function coverage(): Promise<void> {
  const response = await fetch(`${BASE_URL}/openapi.json`);
  if (!response.ok) {
    console.log(`coverage: GET /openapi.json answered ${response.status}`);
    return;
  }
  const spec = await response.json() as {
    paths: Record<string, Record<string, { operationId?: string; parameters?: Array<{ name: string; "x-hot-rest-of-path"?: boolean }> }>>;
  };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      // A rest-of-path parameter takes slashes too (x-hot-rest-of-path).
      const rest = new Set((op.parameters ?? []).filter((p) => p["x-hot-rest-of-path"]).map((p) => p.name));
      const pattern = path.replace(/[.*+?^$()|[\]\\]/g, "\\$&")
        .replace(/\\?\{([^}\\]+)\\?\}/g, (_, name: string) => (rest.has(name) ? ".+" : "[^/]+"));
      operations.push({ method: method.toUpperCase(), path, id: op.operationId ?? `${method} ${path}`, regex: new RegExp(`^${pattern}$`) });
    }
  }

  const calls: Array<{ sdk: string; method: string; path: string }> = [];
  let current = "";
  const stubFetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    calls.push({ sdk: current, method: (init?.method ?? "GET").toUpperCase(), path: url.pathname });
    const sse = String((init?.headers as Record<string, string> | undefined)?.Accept ?? "").includes("event-stream");
    return new Response(sse ? "" : JSON.stringify({ data: {}, pagination: { total: 0, limit: 20, offset: 0, has_more: false },
      meta: { request_id: "req_stub", timestamp: "2026-01-01T00:00:00Z" } }), { status: 200 });
  };
  const stub = new HotClient({ baseUrl: "http://stub.test", token: "stub", fetch: stubFetch });
  const id = "00000000-0000-0000-0000-000000000000";
  const invocations: Record<string, () => unknown> = {
    "projects.list": () => stub.projects.list(), "projects.create": () => stub.projects.create({ name: "x" }),
    "projects.get": () => stub.projects.get("x"), "projects.update": () => stub.projects.update("x", { name: "y" }),
    "projects.delete": () => stub.projects.delete("x"), "projects.activate": () => stub.projects.activate("x"),
    "projects.deactivate": () => stub.projects.deactivate("x"), "projects.eventHandlers": () => stub.projects.eventHandlers("x"),
    "projects.schedules": () => stub.projects.schedules("x"),
    "builds.list": () => stub.builds.list(), "builds.listForProject": () => stub.builds.listForProject("x"),
    "builds.get": () => stub.builds.get("x", id), "builds.deployed": () => stub.builds.deployed("x"),
    "builds.live": () => stub.builds.live("x"), "builds.upload": () => stub.builds.upload("x", { file: new Blob(["z"]), hash: "h" }),
    "builds.download": () => stub.builds.download("x", id), "builds.deploy": () => stub.builds.deploy("x", id),
    "context.list": () => stub.context.list("x"), "context.create": () => stub.context.create("x", { key: "K", value: "v" }),
    "context.update": () => stub.context.update("x", "K", { value: "v" }), "context.delete": () => stub.context.delete("x", "K"),
    "domains.create": () => stub.domains.create({ domain: "a.example.com" }), "domains.list": () => stub.domains.list(),
    "domains.get": () => stub.domains.get(id), "domains.delete": () => stub.domains.delete(id), "domains.verify": () => stub.domains.verify(id),
    "env.get": () => stub.env.get(), "env.subscribe": () => stub.env.subscribe().next(),
    "events.publish": () => stub.events.publish({ event_type: "t", event_data: {} }), "events.list": () => stub.events.list(),
    "events.get": () => stub.events.get(id), "events.getRuns": () => stub.events.getRuns(id),
    "events.callHot": () => stub.events.callHot("::a::b/c", [], { timeoutMs: 1000 }),
    "files.list": () => stub.files.list(), "files.get": () => stub.files.get(id), "files.delete": () => stub.files.delete(id),
    "files.download": () => stub.files.download(id), "files.upload": () => stub.files.upload("a/b.txt", "x"),
    "files.initiateUpload": () => stub.files.initiateUpload({ path: "a" }), "files.uploadPart": () => stub.files.uploadPart(id, 1, "x"),
    "files.completeUpload": () => stub.files.completeUpload(id), "files.abortUpload": () => stub.files.abortUpload(id),
    "org.usage": () => stub.org.usage(),
    "runs.list": () => stub.runs.list(), "runs.stats": () => stub.runs.stats(), "runs.get": () => stub.runs.get(id),
    "runs.subscribe": () => stub.runs.subscribe(id).next(), "runs.wait": () => stub.runs.wait(id, { timeoutMs: 1000, maxReconnectAttempts: 0 }),
    "serviceKeys.create": () => stub.serviceKeys.create({ permissions: {} }), "serviceKeys.list": () => stub.serviceKeys.list(),
    "serviceKeys.get": () => stub.serviceKeys.get(id), "serviceKeys.update": () => stub.serviceKeys.update(id, {}),
    "serviceKeys.revoke": () => stub.serviceKeys.revoke(id), "serviceKeys.revokeAll": () => stub.serviceKeys.revokeAll(),
    "sessions.create": () => stub.sessions.create({ permissions: {} }), "sessions.list": () => stub.sessions.list(),
    "sessions.revoke": () => stub.sessions.revoke(id), "sessions.revokeAll": () => stub.sessions.revokeAll(),
    "streams.subscribe": () => stub.streams.subscribe(id).next(), "streams.subscribePost": () => stub.streams.subscribePost(id).next(),
    "streams.subscribeWithEvent": () => stub.streams.subscribeWithEvent({ event_type: "t", event_data: {} }, { reconnect: false }).next(),
    "tasks.get": () => stub.tasks.get(id), "tasks.subscribe": () => stub.tasks.subscribe(id).next(),
    "tasks.wait": () => stub.tasks.wait(id, { timeoutMs: 1000, maxReconnectAttempts: 0 }),
  };
  // Every method of every resource must have an invocation above (a new SDK method shows up here).
  const resources = ["builds", "context", "domains", "events", "env", "files", "org", "projects", "runs", "serviceKeys", "sessions", "streams", "tasks"];
  const unlisted: string[] = [];
  for (const resource of resources) {
    const proto = Object.getPrototypeOf((stub as unknown as Record<string, object>)[resource]);
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor" || name.startsWith("subscribeWithEventOnce")) continue;
      if (!(`${resource}.${name}` in invocations)) unlisted.push(`${resource}.${name}`);
    }
  }
  for (const [sdk, invoke] of Object.entries(invocations)) {
    current = sdk;
    try { await invoke(); } catch { /* the stub's answers are not meant to satisfy every method */ }
  }

  const reached = new Set<string>();
  const orphans: string[] = [];
  const seen = new Set<string>();
  for (const call of calls) {
    const key = `${call.sdk}: ${call.method} ${call.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // The most literal match wins (`/builds/deployed` before `/builds/{build_id}`).
    const op = operations.filter((o) => o.method === call.method && o.regex.test(call.path))
      .sort((a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0))[0];
    if (op) reached.add(op.id);
    else orphans.push(key);
  }
  const ours = operations.filter((o) => !reached.has(o.id));
  console.log(`\ncoverage: ${operations.length} operations in our spec, ${reached.size} reached by the SDK's ${Object.keys(invocations).length} methods`);
  console.log(`  ours alone (no SDK method reaches them): ${ours.length}`);
  for (const op of ours) console.log(`    ${op.id}  ${op.method} ${op.path}`);
  console.log(`  SDK calls with no operation in our spec: ${orphans.length}`);
  for (const orphan of orphans) console.log(`    ${orphan}`);
  if (unlisted.length) console.log(`  SDK methods this check does not know (add them): ${unlisted.join(", ")}`);
}

// ---- Main.

const started = Date.now();
try {
  await scenario();
} catch (error) {
  console.error(`scenario stopped: ${message(error)}`);
  record("(scenario)", "FAIL", message(error));
}

const order = [...results.keys()].sort();
for (const method of order) {
  const { outcome, detail } = results.get(method)!;
  console.log(`${outcome === "ok" ? "ok  " : outcome === "FAIL" ? "FAIL" : "n/i "}  ${method}${detail ? `  — ${detail}` : ""}`);
}
const count = (o: Outcome) => [...results.values()].filter((r) => r.outcome === o).length;
console.log(`\nsdk: ${count("ok")} ok, ${count("FAIL")} failed, ${count("not implemented")} not implemented, `
  + `${results.size} methods, ${((Date.now() - started) / 1000).toFixed(1)} s`);

await coverage().catch((error) => console.log(`coverage: ${message(error)}`));

process.exit(count("FAIL") > 0 ? 1 : 0);
