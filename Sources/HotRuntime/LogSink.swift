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
/// Lines of `error` and above are written before `log` returns, as is everything at `flush()`
/// (called at exit), so what precedes a crash or an exit is not lost.
public final class LogSink: Sendable {
    /// The process's standard error.
    public static let standardError = LogSink(fileDescriptor: 2)

    private struct Pending {
        var bytes: [UInt8] = []
        var dropped = 0
        /// The writer has been told there is something to write and has not taken it yet.
        var signalled = false
    }

    private let fileDescriptor: Int32
    private let capacity: Int
    private let pending = Mutex(Pending())
    /// Held across taking and writing a batch, so batches reach the descriptor in order.
    private let writing = Mutex(())
    private let wakeUp = DispatchSemaphore(value: 0)

    public init(fileDescriptor: Int32, capacity: Int = 4 << 20) {
        self.fileDescriptor = fileDescriptor
        self.capacity = capacity
        Thread.detachNewThread { [self] in
            while true {
                wakeUp.wait()
                // A moment for more lines to gather: at most a hundred wake-ups and writes a second
                // (each one a context switch on a busy machine; errors do not wait for it).
                usleep(10_000)
                drain()
            }
        }
    }

    /// Queues one line (its text, without the newline; one is added).
    public func append(_ line: [UInt8], urgent: Bool = false) {
        let wake: Bool = pending.withLock { pending in
            guard pending.bytes.count + line.count < capacity else {
                pending.dropped += 1
                return false
            }
            pending.bytes.append(contentsOf: line)
            pending.bytes.append(UInt8(ascii: "\n"))
            guard !pending.signalled else { return false }
            pending.signalled = true
            return true
        }
        if urgent {
            drain()
        } else if wake {
            wakeUp.signal()
        }
    }

    /// Writes everything queued, before returning.
    public func flush() {
        drain()
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
        // The logger's, the provider's, then the call's: a later one wins a key (no dictionary built).
        var entries: [Entry] = []
        entries.reserveCapacity(metadata.count + (event.metadata?.count ?? 0))
        for (key, value) in metadata { entries.append(Entry(key: key, source: 0, value: value)) }
        if let provided = metadataProvider?.get() { for (key, value) in provided { entries.append(Entry(key: key, source: 1, value: value)) } }
        if let explicit = event.metadata { for (key, value) in explicit { entries.append(Entry(key: key, source: 2, value: value)) } }
        entries.sort { $0.key != $1.key ? $0.key < $1.key : $0.source < $1.source }
        // Of equal keys the last (the latest source) is kept, in place.
        var kept = 0
        for index in entries.indices where index + 1 == entries.count || entries[index + 1].key != entries[index].key {
            entries[kept] = entries[index]
            kept += 1
        }
        entries.removeLast(entries.count - kept)
        sink.append(Self.line(date: Date(), level: event.level, label: label, metadata: entries, source: event.source, message: event.message.description),
                    urgent: event.level >= .error)
    }

    /// One line, without its newline; `metadata` in the order given.
    static func line(date: Date, level: Logger.Level, label: String, metadata: [Entry], source: String, message: String) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(128 + message.utf8.count)
        RFC3339.append(date, to: &line)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: level.rawValue.utf8)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: label.utf8)
        line.append(UInt8(ascii: ":"))
        for entry in metadata {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: entry.key.utf8)
            line.append(UInt8(ascii: "="))
            line.append(contentsOf: entry.value.description.utf8)
        }
        line.append(contentsOf: " [".utf8)
        line.append(contentsOf: source.utf8)
        line.append(contentsOf: "] ".utf8)
        line.append(contentsOf: message.utf8)
        return line
    }
}
