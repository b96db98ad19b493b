import Foundation
import HotTestSupport
import Logging
import Testing

@testable import HotRuntime

@Suite("The log: lines batched by a thread of their own")
struct LogSinkTests {
    /// A pipe whose read end the test drains.
    final class Pipe2: Sendable {
        let read: Int32
        let write: Int32

        init() throws {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            (read, write) = (ends[0], ends[1])
        }

        /// What is in the pipe now, without waiting.
        func available() -> String {
            _ = fcntl(read, F_SETFL, fcntl(read, F_GETFL) | O_NONBLOCK)
            var text = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let got = buffer.withUnsafeMutableBytes { Foundation.read(read, $0.baseAddress!, $0.count) }
                guard got > 0 else { break }
                text += buffer[0..<got]
            }
            return String(decoding: text, as: UTF8.self)
        }

        deinit {
            close(read)
            close(write)
        }
    }

    @Test("a line: timestamp, level, label, metadata sorted as key=value, [source], message")
    func format() throws {
        let pipe = try Pipe2()
        let sink = LogSink(fileDescriptor: pipe.write)
        var logger = Logger(label: "hot-server") { HotLogHandler(label: $0, level: .info, sink: sink) }
        logger[metadataKey: "request_id"] = "r-1"
        logger[metadataKey: "status"] = "overridden by the call's"
        logger.info("request", metadata: ["status": .stringConvertible(200), "method": "GET"])
        logger.debug("below the level")
        sink.flush()
        let lines = pipe.available().split(separator: "\n")
        try #require(lines.count == 1, "\(lines)")
        let line = String(lines[0])
        let (stamp, rest) = (line.prefix { $0 != " " }, line.drop { $0 != " " })
        #expect(RFC3339.date(from: String(stamp)) != nil, "\(stamp)")
        #expect(rest == " info hot-server: method=GET request_id=r-1 status=200 [HotImplTests] request")
    }

    @Test("metadata from the logger and the call, in any order, comes out sorted by key, the call's winning a key")
    func sortedAndMerged() throws {
        let pipe = try Pipe2()
        let sink = LogSink(fileDescriptor: pipe.write)
        var logger = Logger(label: "t") { HotLogHandler(label: $0, level: .info, sink: sink) }
        for key in ["zeta", "mu", "alpha", "kappa"] { logger[metadataKey: key] = "logger" }
        logger.info("m", metadata: ["omega": "call", "kappa": "call", "beta": "call", "alpha": "call"])
        sink.flush()
        let line = pipe.available()
        #expect(line.hasSuffix(" info t: alpha=call beta=call kappa=call mu=logger omega=call zeta=logger [HotImplTests] m\n"), "\(line)")
    }

    /// The line after its timestamp.
    static func withoutTimestamp(_ line: Substring) -> Substring { line.drop { $0 != " " } }

    @Test("a request's access line, written straight into bytes, is the line its metadata logged through swift-log makes")
    func accessLine() throws {
        let (direct, logged) = (try Pipe2(), try Pipe2())
        let (directSink, loggedSink) = (LogSink(fileDescriptor: direct.write), LogSink(fileDescriptor: logged.write))
        var handler = HotLogHandler(label: "hot-server", level: .info, sink: directSink)
        handler.metadata = ["request_id": "0190-r1"]
        var logger = Logger(label: "hot-server") { HotLogHandler(label: $0, level: .info, sink: loggedSink) }
        logger[metadataKey: "request_id"] = "0190-r1"
        let accesses = [
            AccessLine(method: "GET", path: "/v1/env", status: 200, duration: .microseconds(1234)),
            AccessLine(method: "POST", path: "/v1/projects/a%20b", status: 422, duration: .nanoseconds(42_999)),
            AccessLine(method: "DELETE", path: "/", status: 503, duration: .seconds(12) + .microseconds(5)),
            AccessLine(method: "GET", path: "/status", status: 200, duration: .zero),
        ]
        for access in accesses {
            handler.log(access)
            logger.info(AccessLine.message, metadata: access.metadata, source: AccessLine.source)
        }
        directSink.flush()
        loggedSink.flush()
        let lines = direct.available().split(separator: "\n")
        #expect(lines.map(Self.withoutTimestamp) == logged.available().split(separator: "\n").map(Self.withoutTimestamp))
        #expect(lines.map(Self.withoutTimestamp) == [
            " info hot-server: duration_ms=1.234 method=GET path=/v1/env request_id=0190-r1 status=200 [HotRuntime] request",
            " info hot-server: duration_ms=0.042 method=POST path=/v1/projects/a%20b request_id=0190-r1 status=422 [HotRuntime] request",
            " info hot-server: duration_ms=12000.005 method=DELETE path=/ request_id=0190-r1 status=503 [HotRuntime] request",
            " info hot-server: duration_ms=0.000 method=GET path=/status request_id=0190-r1 status=200 [HotRuntime] request",
        ])
        #expect(lines.allSatisfy { RFC3339.date(from: String($0.prefix { $0 != " " })) != nil })

        // Other metadata on the logger: still every key, sorted (the path log(event:) takes).
        handler.metadata["job"] = "j-7"
        handler.log(accesses[0])
        // Below the handler's level: nothing.
        handler.logLevel = .warning
        handler.log(accesses[0])
        directSink.flush()
        #expect(direct.available().split(separator: "\n").map(Self.withoutTimestamp) == [
            " info hot-server: duration_ms=1.234 job=j-7 method=GET path=/v1/env request_id=0190-r1 status=200 [HotRuntime] request",
        ])
    }

    @Test("with a metadata provider (a span's trace_id and span_id), the access line written straight is still the one swift-log makes")
    func accessLineWithProvider() throws {
        let (direct, logged) = (try Pipe2(), try Pipe2())
        let (directSink, loggedSink) = (LogSink(fileDescriptor: direct.write), LogSink(fileDescriptor: logged.write))
        // Keys before, between and after the line's own.
        let provider = Logger.MetadataProvider { ["trace_id": "4bf9", "span_id": "00f0", "trace_flags": "1", "a": "first", "zz": "last"] }
        var handler = HotLogHandler(label: "hot-server", level: .info, sink: directSink, metadataProvider: provider)
        handler.metadata = ["request_id": "0190-r1"]
        var logger = Logger(label: "hot-server") { HotLogHandler(label: $0, level: .info, sink: loggedSink, metadataProvider: provider) }
        logger[metadataKey: "request_id"] = "0190-r1"
        let access = AccessLine(method: "GET", path: "/v1/env", status: 200, duration: .microseconds(1234))
        handler.log(access)
        logger.info(AccessLine.message, metadata: access.metadata, source: AccessLine.source)
        // A provider with nothing to say (no span active): the plain line.
        let quiet = HotLogHandler(label: "hot-server", level: .info, sink: directSink, metadataProvider: Logger.MetadataProvider { [:] })
        var quietHandler = quiet
        quietHandler.metadata = ["request_id": "0190-r1"]
        quietHandler.log(access)
        directSink.flush()
        loggedSink.flush()
        let lines = direct.available().split(separator: "\n").map(Self.withoutTimestamp)
        #expect(lines.first == logged.available().split(separator: "\n").map(Self.withoutTimestamp).first)
        #expect(lines == [
            " info hot-server: a=first duration_ms=1.234 method=GET path=/v1/env request_id=0190-r1 span_id=00f0 status=200 trace_flags=1 trace_id=4bf9 zz=last [HotRuntime] request",
            " info hot-server: duration_ms=1.234 method=GET path=/v1/env request_id=0190-r1 status=200 [HotRuntime] request",
        ])
    }

    @Test("an error line is written before log returns; lower ones are by flush")
    func errorsAreWrittenAtOnce() throws {
        let pipe = try Pipe2()
        let sink = LogSink(fileDescriptor: pipe.write)
        let logger = Logger(label: "t") { HotLogHandler(label: $0, level: .trace, sink: sink) }
        logger.error("it broke")
        #expect(pipe.available().contains("error t: [HotImplTests] it broke\n"))
    }

    @Test("lines from many threads all arrive whole, each thread's in its order")
    func concurrentLines() async throws {
        let pipe = try Pipe2()
        let sink = LogSink(fileDescriptor: pipe.write)
        let logger = Logger(label: "t") { HotLogHandler(label: $0, level: .info, sink: sink) }
        // Read while writing: 8 × 500 lines are more than the pipe holds.
        let reader = Task.detached {
            var text = ""
            while text.split(separator: "\n").count < 4000 {
                let chunk = pipe.available()
                if chunk.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
                text += chunk
            }
            return text
        }
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for line in 0..<500 { logger.info("x", metadata: ["writer": "\(writer)", "line": "\(line)"]) }
                }
            }
        }
        sink.flush()
        let text = try await Deadline.within(.seconds(30), waitingFor: "every line") { try await reader.value }
        let lines = text.split(separator: "\n")
        #expect(lines.count == 4000)
        for writer in 0..<8 {
            let numbers = lines.filter { $0.contains("writer=\(writer) ") }.compactMap { line in
                line.firstRange(of: "line=").map { Int(line[$0.upperBound...].prefix { $0 != " " })! }
            }
            #expect(numbers == Array(0..<500), "writer \(writer)")
        }
    }

    @Test("a descriptor nobody reads does not hold the logger: lines past the buffer are dropped and counted")
    func stalledDescriptor() async throws {
        let pipe = try Pipe2()
        let sink = LogSink(fileDescriptor: pipe.write, capacity: 4096)
        let logger = Logger(label: "t") { HotLogHandler(label: $0, level: .info, sink: sink) }
        // Far more than the pipe (64 KiB) and the buffer hold, with no reader: log must not block.
        try await Deadline.within(.seconds(30), waitingFor: "20,000 lines logged into a stalled pipe") {
            for line in 0..<20_000 { logger.info("a line of some length, to fill the pipe sooner", metadata: ["n": "\(line)"]) }
        }
        // Once read, the log says what it dropped.
        let text = try await Deadline.within(.seconds(30), waitingFor: "the dropped-lines note") {
            var text = ""
            while !text.contains("log lines dropped") {
                let chunk = pipe.available()
                // The writer, unblocked by this reading, writes the note with its next batch.
                if chunk.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
                text += chunk
            }
            return text
        }
        let note = try #require(text.split(separator: "\n").first { $0.contains("log lines dropped") })
        let dropped = Int(note.split(separator: " ").first { Int($0) != nil } ?? "")
        #expect((dropped ?? 0) > 0, "\(note)")
    }

    @Test("finish writes every queued line and ends the thread before it returns; later lines are written at once; finishing again is harmless")
    func finish() throws {
        let pipe = try Pipe2()
        let sink = LogSink(fileDescriptor: pipe.write)
        let logger = Logger(label: "t") { HotLogHandler(label: $0, level: .info, sink: sink) }
        // Below error: queued for the writer thread, which waits a moment before it writes.
        for line in 0..<100 { logger.info("queued", metadata: ["n": "\(line)"]) }
        #expect(!sink.writerEnded)
        sink.finish()
        #expect(sink.writerEnded)
        let numbers = pipe.available().split(separator: "\n").compactMap { line in
            line.firstRange(of: "n=").map { Int(line[$0.upperBound...].prefix { $0 != " " })! }
        }
        #expect(numbers == Array(0..<100))
        // No writer any more: a line is written before log returns.
        logger.info("after the end")
        #expect(pipe.available().hasSuffix(" info t: [HotImplTests] after the end\n"))
        sink.finish()
        logger.info("after the second end")
        #expect(pipe.available().hasSuffix(" info t: [HotImplTests] after the second end\n"))
    }
}
