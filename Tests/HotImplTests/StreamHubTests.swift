import Foundation
import Synchronization
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
        #expect(await all.messages().reduce(into: []) { $0.append($1.seq) } == [1, 2, 3])
        #expect(await one.messages().reduce(into: []) { $0.append($1.seq) } == [2, 3])
        #expect(await elsewhere.messages().reduce(into: []) { $0.append($1.seq) } == [])
    }

    @Test("a subscriber that does not read is dropped once its buffer is full; the others go on")
    func stalledSubscriberDropped() async {
        let hub = StreamHub(bufferLimit: 4)
        let env = UUID()
        let stalled = hub.subscribe(envId: env, streamId: nil)
        let reading = hub.subscribe(envId: env, streamId: nil)
        var iterator = reading.messages().makeAsyncIterator()
        for seq in 1...10 as ClosedRange<Int64> {
            hub.publish(message(seq, env: env))
            #expect(await iterator.next()?.seq == seq)
        }
        // The stalled one ends after what its buffer held; the reader is still subscribed.
        #expect(await stalled.messages().reduce(into: []) { $0.append($1.seq) } == [1, 2, 3, 4])
        #expect(hub.subscriberCount == 1)
        hub.end(reading)
        #expect(await iterator.next() == nil)
        #expect(hub.subscriberCount == 0)
    }

    @Test("ticks skip a full buffer rather than drop its subscriber")
    func ticksDoNotDrop() async {
        let hub = StreamHub(bufferLimit: 2)
        let subscription = hub.subscribe(envId: UUID(), streamId: nil)
        let messages = subscription.messages()
        for _ in 0..<5 { hub.tick() }
        #expect(hub.subscriberCount == 1)
        hub.end(subscription)
        #expect(await messages.reduce(0) { count, _ in count + 1 } == 2)
    }

    /// Collects what a pushing mailbox delivers; refuses once it holds `capacity`.
    final class Receiver: MailboxReceiver {
        let state = Mutex((seqs: [Int64](), ended: false))
        let capacity: Int

        init(capacity: Int = .max) {
            self.capacity = capacity
        }

        func receive(_ message: StreamMessage) -> Bool {
            state.withLock { state in
                guard !message.isTick else { return true }
                guard state.seqs.count < capacity else { return false }
                state.seqs.append(message.seq)
                return true
            }
        }

        func end() { state.withLock { $0.ended = true } }
        var seqs: [Int64] { state.withLock { $0.seqs } }
        var ended: Bool { state.withLock { $0.ended } }
    }

    @Test("a mailbox holds what arrives until it is taken, then pushes the held messages first, in order")
    func pushAfterHolding() {
        let hub = StreamHub()
        let env = UUID()
        let subscription = hub.subscribe(envId: env, streamId: nil)
        hub.publish(message(1, env: env))
        hub.tick()
        hub.publish(message(2, env: env))
        let receiver = Receiver()
        subscription.mailbox.push(to: receiver)
        hub.publish(message(3, env: env))
        #expect(receiver.seqs == [1, 2, 3])
        #expect(!receiver.ended)
        hub.end(subscription)
        #expect(receiver.ended)
        #expect(hub.subscriberCount == 0)
    }

    @Test("a subscription dropped before it was taken hands over what it held, then ends")
    func pushAfterEnded() {
        let hub = StreamHub(bufferLimit: 2)
        let env = UUID()
        let subscription = hub.subscribe(envId: env, streamId: nil)
        for seq in 1...3 as ClosedRange<Int64> { hub.publish(message(seq, env: env)) }
        #expect(hub.subscriberCount == 0, "the third message overflowed the held two")
        let receiver = Receiver()
        subscription.mailbox.push(to: receiver)
        #expect(receiver.seqs == [1, 2])
        #expect(receiver.ended)
    }

    @Test("a receiver that cannot keep up is dropped; closing the hub ends the others")
    func pushingReceivers() {
        let hub = StreamHub()
        let env = UUID()
        let slow = Receiver(capacity: 2), fast = Receiver()
        hub.subscribe(envId: env, streamId: nil).mailbox.push(to: slow)
        hub.subscribe(envId: env, streamId: nil).mailbox.push(to: fast)
        for seq in 1...4 as ClosedRange<Int64> { hub.publish(message(seq, env: env)) }
        #expect(slow.seqs == [1, 2])
        #expect(slow.ended)
        #expect(fast.seqs == [1, 2, 3, 4])
        #expect(hub.subscriberCount == 1)
        hub.close()
        #expect(fast.ended)
        #expect(hub.subscriberCount == 0)
        // A subscription after the close ends at once.
        let late = Receiver()
        hub.subscribe(envId: env, streamId: nil).mailbox.push(to: late)
        #expect(late.ended)
    }
}
