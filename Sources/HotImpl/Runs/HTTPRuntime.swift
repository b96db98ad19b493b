import AsyncHTTPClient
import Foundation
import HotRuntime
import Logging
import NIOCore
import Tracing

/// Executes runs over the HTTP runtime protocol (docs/runtime-protocol.md): `POST url` with the
/// run as JSON, answered by an NDJSON stream of `data` lines ended by a `result` or `error` line, or by a
/// plain `application/json` result.
///
/// Every failure (bad status, unreachable runtime, timeout of the whole run, a malformed or oversized line,
/// a stream without an outcome) becomes `.failed(.string(reason))` with a one-line reason. The request body
/// carries decrypted context variables, so it is never logged, and reasons never quote it.
public struct HTTPRuntime: Runtime {
    /// A runtime URL that cannot be used; `message` is one line naming the problem.
    public struct ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
        public let message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    public static let defaultTimeout: Duration = .seconds(300)
    /// The longest single NDJSON line (and the largest plain JSON answer) accepted: 16 MiB.
    public static let defaultMaxLineBytes = 16 << 20
    /// How much of a non-200 answer's body is quoted in the failure reason.
    static let statusBodyQuoteBytes = 200

    public let url: String
    public let timeout: Duration
    public let maxLineBytes: Int
    private let authorization: String?
    private let httpClient: HTTPClient
    private let logger: Logger

    /// - Parameters:
    ///   - url: `HOT_RUNTIME_URL`; must be an absolute `http` or `https` URL with a host.
    ///   - token: `HOT_RUNTIME_TOKEN`; when set, sent as `Authorization: Bearer <token>`.
    ///   - timeout: the longest a whole run may take, from sending the request to the outcome line.
    ///   - httpClient: the server's shared client; this type never shuts it down.
    public init(url: String, token: String?, timeout: Duration = HTTPRuntime.defaultTimeout, httpClient: HTTPClient,
                logger: Logger, maxLineBytes: Int = HTTPRuntime.defaultMaxLineBytes) throws {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased() else {
            throw ConfigurationError("runtime URL \(Self.oneLine(url)) is not an absolute URL")
        }
        guard scheme == "http" || scheme == "https" else {
            throw ConfigurationError("runtime URL \(Self.oneLine(url)) must use http or https, not \(Self.oneLine(scheme))")
        }
        guard let host = parsed.host, !host.isEmpty else {
            throw ConfigurationError("runtime URL \(Self.oneLine(url)) has no host")
        }
        guard timeout > .zero else { throw ConfigurationError("runtime timeout must be positive, got \(timeout)") }
        guard maxLineBytes > 0 else { throw ConfigurationError("runtime line limit must be positive, got \(maxLineBytes)") }
        if let token, token.contains(where: { $0.isNewline }) {
            throw ConfigurationError("runtime token must not contain a line break")
        }
        self.url = url
        self.timeout = timeout
        self.maxLineBytes = maxLineBytes
        self.authorization = token.map { "Bearer \($0)" }
        self.httpClient = httpClient
        self.logger = logger
    }

    /// Traced as `runtime call`. AsyncHTTPClient (its shared client, made after `HotTracing.bootstrap`
    /// installed the tracer) adds the HTTP request's own client span under it and sends that span's
    /// context as `traceparent`, so the runtime's spans continue the trace.
    public func execute(_ request: RuntimeRequest, onData: @escaping @Sendable (RuntimeData) async -> Void) async -> RuntimeOutcome {
        await HotTracing.span("runtime call") { span in
            span?.attributes["server.address"] = URL(string: url)?.host
            let outcome = await call(request, onData: onData)
            if case .failed = outcome { span?.setStatus(.init(code: .error)) }
            return outcome
        }
    }

    private func call(_ request: RuntimeRequest, onData: @escaping @Sendable (RuntimeData) async -> Void) async -> RuntimeOutcome {
        let started = ContinuousClock.now
        let runId = request.runId.lowercased
        let body: Data
        do {
            body = try JSONCoding.encoder.encode(request)
        } catch {
            // The error may describe a value of the request: say only what failed.
            return finish(Answer(failure: "could not encode the run request as JSON"), runId: runId, requestId: request.callerRequestId, started: started)
        }
        let timeout = self.timeout
        let answer = await withTaskGroup(of: Answer?.self) { group in
            group.addTask { await self.exchange(body, onData: onData) }
            group.addTask {
                // In slices of at most a second: a cancelled sleep keeps its timer until the time it was
                // to end, so one sleep of the whole timeout would hold it for 300 s after every run.
                let deadline = ContinuousClock.now + timeout
                while ContinuousClock.now < deadline {
                    do { try await Task.sleep(for: min(deadline - ContinuousClock.now, .seconds(1))) } catch { return nil }
                }
                return Answer(failure: "runtime did not finish the run within \(Self.describe(timeout))")
            }
            // The first answer wins: the exchange's outcome, or the timeout's. Cancelling the exchange
            // cancels its HTTP request (and the connection with it).
            var first: Answer?
            while first == nil, let next = await group.next() { first = next }
            group.cancelAll()
            return first ?? Answer(failure: "run was cancelled")
        }
        return finish(answer, runId: runId, requestId: request.callerRequestId, started: started)
    }

    /// What one exchange with the runtime came to.
    private struct Answer: Sendable {
        var outcome: RuntimeOutcome
        var status: Int?
        /// Why the run failed, when this side decided it (not an `error` line of the runtime's own).
        var failure: String?

        init(_ outcome: RuntimeOutcome, status: Int?) {
            self.outcome = outcome
            self.status = status
        }

        init(failure: String, status: Int? = nil) {
            self.outcome = .failed(.string(failure))
            self.status = status
            self.failure = failure
        }
    }

    /// `requestId`: of the HTTP request that made the call (a webhook's or a tool's), when one did.
    private func finish(_ answer: Answer, runId: String, requestId: String?, started: ContinuousClock.Instant) -> RuntimeOutcome {
        let (outcome, status) = (answer.outcome, answer.status)
        let elapsed = ContinuousClock.now - started
        var metadata: Logger.Metadata = [
            "run_id": .string(runId),
            "duration_ms": .stringConvertible(Int((elapsed / .milliseconds(1)).rounded())),
        ]
        if let requestId { metadata["request_id"] = .string(requestId) }
        if let status { metadata["status"] = .stringConvertible(status) }
        switch outcome {
        case .succeeded:
            metadata["outcome"] = "succeeded"
        case .failed:
            metadata["outcome"] = "failed"
            // Reasons made here are about transport and format and never quote the request; a runtime's
            // own error value is the run's business and stays out of the log.
            if let reason = answer.failure { metadata["reason"] = .string(reason) }
        }
        logger.debug("runtime run finished", metadata: metadata)
        return outcome
    }

    /// Sends the run and reads the answer. Returns the outcome and the HTTP status, if one arrived.
    private func exchange(_ body: Data, onData: @escaping @Sendable (RuntimeData) async -> Void) async -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/x-ndjson, application/json")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        request.body = .bytes(ByteBuffer(bytes: body))

        let response: HTTPClientResponse
        do {
            // Our own timer bounds the whole run; the client's deadline (head only) is a backstop behind it.
            response = try await httpClient.execute(request, deadline: .now() + Self.timeAmount(timeout) + .seconds(5), logger: logger)
        } catch {
            if Task.isCancelled { return Answer(failure: "run was cancelled") }
            return Answer(failure: "could not reach the runtime at \(Self.oneLine(url)): \(Self.oneLine(String(describing: error)))")
        }
        let status = Int(response.status.code)
        guard status == 200 else {
            return Answer(failure: "runtime answered HTTP \(status)\(await Self.quoteStart(of: response.body))", status: status)
        }
        let mediaType = (response.headers.first(name: "Content-Type") ?? "")
            .split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        do {
            switch mediaType {
            case "application/json":
                let buffer = try await response.body.collect(upTo: maxLineBytes)
                guard let value = try? JSONValue.parse(Data(buffer.readableBytesView)) else {
                    return Answer(failure: "runtime answered application/json that is not valid JSON", status: status)
                }
                return Answer(.succeeded(value), status: status)
            case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines":
                var answer = try await readStream(response.body, onData: onData)
                answer.status = status
                return answer
            default:
                let shown = mediaType.isEmpty ? "no Content-Type" : "Content-Type \(Self.oneLine(mediaType))"
                return Answer(failure: "runtime answered 200 with \(shown); expected application/x-ndjson or application/json", status: status)
            }
        } catch is NIOTooManyBytesError {
            return Answer(failure: "runtime's JSON answer is larger than \(maxLineBytes) bytes", status: status)
        } catch {
            if Task.isCancelled { return Answer(failure: "run was cancelled", status: status) }
            return Answer(failure: "runtime connection broke while reading the answer: \(Self.oneLine(String(describing: error)))", status: status)
        }
    }

    /// Reads NDJSON lines as they arrive, handing each `data` line to `onData` at once, until the outcome line.
    /// Whatever follows the outcome line is not read: returning drops the body, which closes the request.
    private func readStream(_ body: HTTPClientResponse.Body, onData: @escaping @Sendable (RuntimeData) async -> Void) async throws -> Answer {
        var splitter = NDJSONLineSplitter(maxLineBytes: maxLineBytes)
        var lines = 0
        func handle(_ line: [UInt8]) async -> Answer? {
            lines += 1
            switch RuntimeLine.parse(line) {
            case .data(let data):
                await onData(data)
                return nil
            case .result(let result):
                return Answer(.succeeded(result), status: nil)
            case .error(let error):
                return Answer(.failed(error), status: nil)
            case .invalid(let reason):
                return Answer(failure: "\(reason) at line \(lines)")
            }
        }
        do {
            for try await chunk in body {
                for line in try splitter.append(chunk.readableBytesView) {
                    if let outcome = await handle(line) { return outcome }
                }
            }
            if let last = try splitter.finish(), let outcome = await handle(last) { return outcome }
        } catch let error as NDJSONLineSplitter.LineTooLong {
            return Answer(failure: "runtime sent a line longer than \(error.maxLineBytes) bytes at line \(lines + 1)")
        }
        if Task.isCancelled { return Answer(failure: "run was cancelled") }
        return Answer(failure: "runtime stream ended without a result or error line")
    }

    /// `: <start of body>` for a failure reason, or nothing when the body is empty or unreadable.
    private static func quoteStart(of body: HTTPClientResponse.Body) async -> String {
        var bytes: [UInt8] = []
        do {
            for try await chunk in body {
                bytes.append(contentsOf: chunk.readableBytesView.prefix(statusBodyQuoteBytes + 1 - bytes.count))
                if bytes.count > statusBodyQuoteBytes { break }
            }
        } catch {
            // The status already says what matters.
        }
        let truncated = bytes.count > statusBodyQuoteBytes
        let text = oneLine(String(decoding: bytes.prefix(statusBodyQuoteBytes), as: UTF8.self))
            .trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? "" : ": " + text + (truncated ? "…" : "")
    }

    /// `text` with line breaks and other control characters turned into spaces.
    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    }

    static func describe(_ duration: Duration) -> String {
        let milliseconds = duration / .milliseconds(1)
        if milliseconds < 1000 { return "\(Int(milliseconds.rounded())) ms" }
        let seconds = duration / .seconds(1)
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds)
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        let limit = Int64.max / 1_000_000_000 - 1
        guard seconds < limit else { return .nanoseconds(Int64.max / 2) }
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
