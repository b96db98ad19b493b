import Hummingbird
import NIOCore

/// A `ResponseBodyWriter` that keeps what is written, to read a `ResponseBody` in tests.
struct CollectingBodyWriter: ResponseBodyWriter {
    /// Reference storage so the bytes outlive the (consumed) writer.
    final class Sink {
        var bytes: [UInt8] = []
        var chunks = 0
        var finished = false
    }

    let sink: Sink

    mutating func write(_ buffer: ByteBuffer) async throws {
        sink.bytes.append(contentsOf: buffer.readableBytesView)
        sink.chunks += 1
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        sink.finished = true
    }

    /// Writes `body` out and returns its bytes, how many chunks they came in, and whether it finished.
    static func collect(_ body: ResponseBody) async throws -> (bytes: [UInt8], chunks: Int, finished: Bool) {
        let sink = Sink()
        try await body.write(CollectingBodyWriter(sink: sink))
        return (sink.bytes, sink.chunks, sink.finished)
    }
}
