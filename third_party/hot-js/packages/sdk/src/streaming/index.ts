export type {
  EventPublishedEvent,
  RunCancelEvent,
  RunFailEvent,
  RunStartEvent,
  RunStopEvent,
  RunUpdateEvent,
  StreamDataEvent,
  StreamCompleteEvent,
  StreamEvent,
  UnknownStreamEvent,
} from "./types.js";

export { consumeSseBlocks, consumeSseResponse } from "./sse.js";
export { waitForRunResult } from "./wait.js";
