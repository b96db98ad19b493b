import Foundation
import Testing

@testable import HotImpl

@Suite("Stream hub")
struct StreamHubTests {
    func message(_ seq: Int64, env: UUID, stream: UUID? = nil) -> StreamMessage {
        StreamMessage(seq: seq, envId: env, streamId: stream, projectId: nil, event: "stream:data", data: "{}")
    }

    @Test("a subscriber gets its env's messages, or its stream's, in order")
    func routing() async {
        let hub = StreamHub()
        let env = UUID(), stream = UUID()
        let all = hub.subscribe(envId: env, streamId: nil)
        let one = hub.subscribe(envId: env, streamId: stream)
        let elsewhere = hub.subscribe(envId: UUID(), streamId: nil)
        hub.publish(message(1, env: env, stream: UUID()))
        hub.publish(message(2, env: env, stream: stream))
        hub.publish(message(3, env: env, stream: stream))
        for subscription in [all, one, elsewhere] { hub.end(subscription) }
        #expect(await all.messages.reduce(into: []) { $0.append($1.seq) } == [1, 2, 3])
        #expect(await one.messages.reduce(into: []) { $0.append($1.seq) } == [2, 3])
        #expect(await elsewhere.messages.reduce(into: []) { $0.append($1.seq) } == [])
    }

    @Test("a subscriber that does not read is dropped once its buffer is full; the others go on")
    func stalledSubscriberDropped() async {
        let hub = StreamHub(bufferLimit: 4)
        let env = UUID()
        let stalled = hub.subscribe(envId: env, streamId: nil)
        let reading = hub.subscribe(envId: env, streamId: nil)
        var iterator = reading.messages.makeAsyncIterator()
        for seq in 1...10 as ClosedRange<Int64> {
            hub.publish(message(seq, env: env))
            #expect(await iterator.next()?.seq == seq)
        }
        // The stalled one ends after what its buffer held; the reader is still subscribed.
        #expect(await stalled.messages.reduce(into: []) { $0.append($1.seq) } == [1, 2, 3, 4])
        #expect(hub.subscriberCount == 1)
        hub.end(reading)
        #expect(await iterator.next() == nil)
        #expect(hub.subscriberCount == 0)
    }

    @Test("ticks skip a full buffer rather than drop its subscriber")
    func ticksDoNotDrop() async {
        let hub = StreamHub(bufferLimit: 2)
        let subscription = hub.subscribe(envId: UUID(), streamId: nil)
        for _ in 0..<5 { hub.tick() }
        #expect(hub.subscriberCount == 1)
        hub.end(subscription)
        #expect(await subscription.messages.reduce(0) { count, _ in count + 1 } == 2)
    }
}
