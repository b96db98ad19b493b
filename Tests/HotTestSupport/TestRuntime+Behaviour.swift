import HotImpl
import HotRuntime

extension TestRuntime {
    /// How the test runtime answers one run.
    public enum Behaviour: Sendable {
        /// 200 `application/x-ndjson`: each data line (flushed on its own), then the result line.
        case succeed(result: JSONValue, data: [RuntimeData] = [])
        /// 200 `application/x-ndjson`: each data line, then the error line.
        case fail(error: JSONValue, data: [RuntimeData] = [])
        /// 200 `application/x-ndjson` written step by step, each step flushed on its own; `.wait` steps hold the
        /// rest of the stream until their gate opens. Without a result or error step the stream just ends.
        case stream([Step])
        /// 200 `application/json` whose body is the value.
        case plainJSON(JSONValue)
        /// That status with a `text/plain` body.
        case status(Int, body: String = "")
        /// Never answers, not even the head, until the runtime is stopped.
        case hang
        /// 200 `application/x-ndjson` whose only line is not JSON.
        case garbage
        /// Holds the whole answer (head included) until the gate opens, then answers as `then` says.
        indirect case gated(Gate, then: Behaviour)
    }

    /// One step of a `.stream` answer.
    public enum Step: Sendable {
        /// `{"type":"data","data_type":…,"payload":…}` and a newline.
        case data(RuntimeData)
        /// `{"type":"result","result":…}` and a newline.
        case result(JSONValue)
        /// `{"type":"error","error":…}` and a newline.
        case error(JSONValue)
        /// These bytes exactly (UTF-8), no newline added: for lines split across chunks, `\r\n`, blank lines.
        case raw(String)
        /// Holds the rest of the stream until the gate opens.
        case wait(Gate)
    }
}
