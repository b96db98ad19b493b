export type {
  AgentAttachment,
  AgentEventDataInput,
} from "../types.js";

export {
  buildAgentEventData,
  buildWebMessageIds,
  bareId,
} from "./event-data.js";

export {
  parseSlashCommand,
  type CommandSpec,
  type CommandMap,
  type ParsedCommand,
} from "./commands.js";

export {
  replyLabel,
  replyDataType,
  foldAgentReply,
  type FoldAgentReplyOptions,
  type AgentReplyChunk,
  type AgentReplyResult,
} from "./reply.js";
