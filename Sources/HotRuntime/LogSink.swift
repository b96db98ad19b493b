import Foundation
import Logging
import Synchronization

/// Where every log line of the process goes: a buffer that one thread of its own writes to a file
/// descriptor (standard error) in batches.
///
/// A request that logs appends its line under a lock and goes on; it never waits on the write, so
/// a slow or stalled stderr (a full pipe) slows no request. The writer takes whatever has gathered
/// since its last write, so under load one `write(2)` carries many lines. Past `capacity` bytes
/// waiting, lines are dropped and counted, and a line saying how many follows once there is room.
/// Lines of `error` and above are written before `log` returns, as is everything at `flush()`, so
/// what precedes a crash is not lost.
///
/// `finish()` (at the end of the process's lifecycle) writes what is queued and ends the thread;
/// from then on every line is written before `log` returns, on the caller's thread (nothing is
/// dropped for want of a writer: the lines after the lifecycle, few and at exit, are the ones that
/// say why it ended).
public final class LogSink: Sendable {
    /// The process's standard error.
    public static let standardError = LogSink(fileDescriptor: 2)

    private struct Pending {
        var bytes: [UInt8] = []
        var dropped = 0
        /// The writer has been told there is something to write and has not taken it yet.
        var signalled = false
        /// `finish()` was called: the writer ends after its next batch, lines are written at once.
        var finished = false
    }

    private let fileDescriptor: Int32
    private let capacity: Int
    private let pending = Mutex(Pending())
    /// Held across taking and writing a batch, so batches reach the descriptor in order.
    private let writing = Mutex(())
    private let wakeUp = DispatchSemaphore(value: 0)
    /// Entered while the writer thread runs.
    private let writer = DispatchGroup()

    public init(fileDescriptor: Int32, capacity: Int = 4 << 20) {
        self.fileDescriptor = fileDescriptor
        self.capacity = capacity
        writer.enter()
        Thread.detachNewThread { [self] in
            while true {
                wakeUp.wait()
                let finished = pending.withLock { $0.finished }
                // A moment for more lines to gather: at most a hundred wake-ups and writes a second
                // (each one a context switch on a busy machine; errors do not wait for it).
                if !finished { usleep(10_000) }
                drain()
                // Every line queued before `finish()` set the flag was in that batch.
                if finished { break }
            }
            writer.leave()
        }
    }

    /// Queues one line (its text, without the newline; one is added).
    public func append(_ line: [UInt8], urgent: Bool = false) {
        let (wake, finished) = pending.withLock { pending -> (Bool, Bool) in
            guard pending.bytes.count + line.count < capacity else {
                pending.dropped += 1
                return (false, pending.finished)
            }
            pending.bytes.append(contentsOf: line)
            pending.bytes.append(UInt8(ascii: "\n"))
            guard !pending.signalled, !pending.finished else { return (false, pending.finished) }
            pending.signalled = true
            return (true, false)
        }
        if urgent || finished {
            drain()
        } else if wake {
            wakeUp.signal()
        }
    }

    /// Writes everything queued, before returning.
    public func flush() {
        drain()
    }

    /// Writes everything queued and ends the writer thread, before returning; lines logged from
    /// then on are written before `log` returns. Calling it again (from any thread) only waits for
    /// the end of the thread.
    public func finish() {
        let first = pending.withLock { pending in
            defer { pending.finished = true }
            return !pending.finished
        }
        if first { wakeUp.signal() }
        writer.wait()
    }

    /// Whether the writer thread has ended (for tests).
    var writerEnded: Bool {
        writer.wait(timeout: .now()) == .success
    }

    private func drain() {
        writing.withLock { _ in
            var (batch, dropped) = pending.withLock { pending -> ([UInt8], Int) in
                defer {
                    pending.bytes = []
                    pending.dropped = 0
                    pending.signalled = false
                }
                return (pending.bytes, pending.dropped)
            }
            if dropped > 0 {
                batch.append(contentsOf: Array("\(RFC3339.string(from: Date())) warning log: [HotRuntime] \(dropped) log lines dropped (the log was not keeping up)\n".utf8))
            }
            write(batch)
        }
    }

    private func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR || errno == EAGAIN {
                    continue
                } else {
                    return  // the descriptor is gone: nothing more can be written there
                }
            }
        }
    }
}

/// swift-log's handler for the server: lines like StreamLogHandler's (timestamp, level, label,
/// metadata as sorted `key=value`, `[source]`, message) written through a `LogSink`. Metadata set on
/// a logger (a request's id) is kept as it is and formatted only when a line is written.
public struct HotLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: LogSink

    public init(label: String, level: Logger.Level, sink: LogSink = .standardError, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = level
        self.sink = sink
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// One metadata entry and where it came from (later sources win a key).
    struct Entry {
        var key: String
        var source: Int
        var value: Logger.Metadata.Value
    }

    public func log(event: LogEvent) {
        write(level: event.level, message: event.message.description, explicit: event.metadata, source: event.source)
    }

    /// A request's access line: what `log(event:)` writes for
    /// `info(AccessLine.message, metadata: access.metadata, source: AccessLine.source)`, made straight
    /// into bytes when the logger's metadata is the request id alone (as `HotRequestContext` makes
    /// it), with what the metadata provider gives (a span's `trace_id`, `span_id`) merged in: no
    /// dictionary of the line's own, no sort but of the provider's few keys, no value strings.
    /// Otherwise through `log(event:)`'s path.
    public func log(_ access: AccessLine) {
        guard logLevel <= .info else { return }
        let provided = metadataProvider?.get() ?? [:]
        guard metadata.count == 1, let requestId = metadata.first, requestId.key == "request_id",
              !provided.keys.contains(where: AccessLine.keys.contains)
        else {
            write(level: .info, message: AccessLine.message.description, explicit: access.metadata, source: AccessLine.source)
            return
        }
        let extra = provided.count < 2 ? Array(provided) : provided.sorted { $0.key < $1.key }
        var next = extra.startIndex
        /// The provider's entries that sort before `key` (nil: all that are left).
        func appendProvided(before key: String?, to line: inout [UInt8]) {
            while next < extra.endIndex, key.map({ extra[next].key < $0 }) ?? true {
                line.append(UInt8(ascii: " "))
                line.appendUTF8(extra[next].key)
                line.append(UInt8(ascii: "="))
                Self.append(extra[next].value, to: &line)
                next += 1
            }
        }
        // The keys in their sorted order: duration_ms, method, path, request_id, status.
        var line = Self.head(date: Date(), level: .info, label: label, capacity: 192 + access.path.utf8.count + 96 * extra.count)
        appendProvided(before: "duration_ms", to: &line)
        line.appendUTF8(" duration_ms=")
        access.appendDuration(to: &line)
        appendProvided(before: "method", to: &line)
        line.appendUTF8(" method=")
        line.appendUTF8(access.method)
        appendProvided(before: "path", to: &line)
        line.appendUTF8(" path=")
        line.appendUTF8(access.path)
        appendProvided(before: "request_id", to: &line)
        line.appendUTF8(" request_id=")
        Self.append(requestId.value, to: &line)
        appendProvided(before: "status", to: &line)
        line.appendUTF8(" status=")
        line.appendDecimal(Int64(access.status))
        appendProvided(before: nil, to: &line)
        Self.appendTail(source: AccessLine.source, message: AccessLine.message.description, to: &line)
        sink.append(line)
    }

    /// A line of the logger's metadata, the provider's and the call's (a later one wins a key),
    /// sorted by key.
    func write(level: Logger.Level, message: String, explicit: Logger.Metadata?, source: String) {
        var entries: [Entry] = []
        entries.reserveCapacity(metadata.count + (explicit?.count ?? 0))
        for (key, value) in metadata { entries.append(Entry(key: key, source: 0, value: value)) }
        if let provided = metadataProvider?.get() { for (key, value) in provided { entries.append(Entry(key: key, source: 1, value: value)) } }
        if let explicit { for (key, value) in explicit { entries.append(Entry(key: key, source: 2, value: value)) } }
        // By key, then source; an insertion sort by swaps (a line has a handful of entries, and
        // swapping moves them without copies).
        for index in entries.indices.dropFirst() {
            var at = index
            while at > 0, entries[at].key < entries[at - 1].key || (entries[at].key == entries[at - 1].key && entries[at].source < entries[at - 1].source) {
                entries.swapAt(at, at - 1)
                at -= 1
            }
        }
        // Of equal keys the last (the latest source) is kept, in place.
        var kept = 0
        for index in entries.indices where index + 1 == entries.count || entries[index + 1].key != entries[index].key {
            if kept != index { entries.swapAt(kept, index) }
            kept += 1
        }
        entries.removeLast(entries.count - kept)
        sink.append(Self.line(date: Date(), level: level, label: label, metadata: entries, source: source, message: message),
                    urgent: level >= .error)
    }

    /// One line, without its newline; `metadata` in the order given.
    static func line(date: Date, level: Logger.Level, label: String, metadata: [Entry], source: String, message: String) -> [UInt8] {
        var line = head(date: date, level: level, label: label, capacity: 128 + message.utf8.count)
        for entry in metadata {
            line.append(UInt8(ascii: " "))
            line.appendUTF8(entry.key)
            line.append(UInt8(ascii: "="))
            append(entry.value, to: &line)
        }
        appendTail(source: source, message: message, to: &line)
        return line
    }

    /// `<timestamp> <level> <label>:`
    static func head(date: Date, level: Logger.Level, label: String, capacity: Int) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(capacity)
        RFC3339.append(date, to: &line)
        line.append(UInt8(ascii: " "))
        line.appendUTF8(level.rawValue)
        line.append(UInt8(ascii: " "))
        line.appendUTF8(label)
        line.append(UInt8(ascii: ":"))
        return line
    }

    /// ` [<source>] <message>`
    static func appendTail(source: String, message: String, to line: inout [UInt8]) {
        line.appendUTF8(" [")
        line.appendUTF8(source)
        line.appendUTF8("] ")
        line.appendUTF8(message)
    }

    /// A value as its `description`, without making that string for the common cases.
    static func append(_ value: Logger.Metadata.Value, to line: inout [UInt8]) {
        switch value {
        case .string(let text): line.appendUTF8(text)
        case .stringConvertible(let convertible): line.appendUTF8(convertible.description)
        default: line.appendUTF8(value.description)
        }
    }
}
