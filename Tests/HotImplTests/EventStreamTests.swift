import Foundation
import HotRuntime
import Synchronization
import Testing

@Suite("Event stream")
struct EventStreamTests {
    final class Flag: Sendable {
        let count = Mutex(0)
    }

    @Test("onEnd runs once even when the body is never written (the client left before the head went out)")
    func endsWhenNeverWritten() {
        let ended = Flag()
        do {
            let (events, continuation) = AsyncStream.makeStream(of: ServerSentEvent.self)
            defer { continuation.finish() }
            let stream = EventStream(events: events, onEnd: { ended.count.withLock { $0 += 1 } })
            _ = stream.response()
            #expect(ended.count.withLock { $0 } == 0)
        }
        #expect(ended.count.withLock { $0 } == 1)
    }
}
