export { HotClient } from "./client.js";
export { HotApiError, isHotApiError } from "./errors.js";
export { BuildsResource, type UploadBuildOptions } from "./resources/builds.js";
export { ContextResource } from "./resources/context.js";
export { DomainsResource } from "./resources/domains.js";
export { EnvResource } from "./resources/env.js";
export { EventsResource } from "./resources/events.js";
export { FilesResource } from "./resources/files.js";
export { OrgResource } from "./resources/org.js";
export { ProjectsResource } from "./resources/projects.js";
export { HotRunError, RunsResource, type WaitForRunOptions } from "./resources/runs.js";
export { HotTaskError, TasksResource, type WaitForTaskOptions } from "./resources/tasks.js";
export { ServiceKeysResource } from "./resources/service-keys.js";
export { SessionsResource } from "./resources/sessions.js";
export {
  StreamsResource,
  type SubscribeReconnectOptions,
  type SubscribeWithEventOptions,
} from "./resources/streams.js";
export type * from "./types.js";
