#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The WASI clocks, read from the host's: realtime, monotonic, and (for both CPU-time ids) the
/// CPU time of the thread running the guest, in nanoseconds.
enum WasiClock {
    static func clock(for id: UInt32) -> clockid_t? {
        switch id {
        case 0: CLOCK_REALTIME
        case 1: CLOCK_MONOTONIC
        // A guest runs on one thread: its process time is that thread's (the server's own is none of its business).
        case 2, 3: CLOCK_THREAD_CPUTIME_ID
        default: nil
        }
    }

    static func now(_ id: UInt32) -> UInt64? {
        guard let clock = clock(for: id) else { return nil }
        var time = timespec()
        guard clock_gettime(clock, &time) == 0 else { return nil }
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    static func resolution(of id: UInt32) -> UInt64? {
        guard let clock = clock(for: id) else { return nil }
        var time = timespec()
        guard clock_getres(clock, &time) == 0 else { return nil }
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// Sleeps until the monotonic clock reads `deadline`, in slices of at most 10 ms so that an
    /// interrupted run wakes within one slice. Throws when the run is interrupted.
    static func sleep(untilMonotonic deadline: UInt64, run: WasiRun) throws(WasmInterrupted) {
        while true {
            try run.checkInterrupt()
            guard let now = now(1), now < deadline else { return }
            let slice = min(deadline - now, 10_000_000)
            var request = timespec(tv_sec: 0, tv_nsec: Int(slice))
            _ = nanosleep(&request, nil)
        }
    }
}

/// `poll_oneoff`: stdin, stdout and stderr are always ready; clock subscriptions sleep (real time,
/// bounded by the run's timeout); any other descriptor is reported as EBADF in its event.
enum WasiPoll {
    static let subscriptionSize: UInt64 = 48
    static let eventSize: UInt64 = 32

    static func poll(subscriptions: UInt32, events: UInt32, count: UInt32, eventCount: UInt32,
                     memory: GuestMemory, run: WasiRun) throws -> UInt32 {
        guard count > 0 else { return WasiPreview1.invalid }
        // The whole arrays must lie in memory before anything is read or written.
        guard UInt64(count) * subscriptionSize <= UInt64(UInt32.max) else {
            throw WasmHostTrap("poll_oneoff: \(count) subscriptions do not fit in the guest's memory")
        }
        try memory.withBytes(subscriptions, count: UInt32(UInt64(count) * subscriptionSize)) { _ in }
        try memory.withBytes(events, count: UInt32(UInt64(count) * eventSize)) { _ in }

        struct Ready { var userdata: UInt64; var errno: UInt16; var type: UInt8; var bytes: UInt64 }
        var ready: [Ready] = []
        var clocks: [(deadline: UInt64, userdata: UInt64)] = []
        for index in 0..<UInt64(count) {
            let base = try GuestMemory.advance(subscriptions, by: index * subscriptionSize)
            let userdata = try memory.u64(at: base)
            let tag = try memory.u8(at: try GuestMemory.advance(base, by: 8))
            switch tag {
            case 0: // clock
                let id = try memory.u32(at: try GuestMemory.advance(base, by: 16))
                let timeout = try memory.u64(at: try GuestMemory.advance(base, by: 24))
                let flags = try memory.u8(at: try GuestMemory.advance(base, by: 40))
                guard let now = WasiClock.now(id), let monotonicNow = WasiClock.now(1) else {
                    ready.append(Ready(userdata: userdata, errno: UInt16(WasiPreview1.invalid), type: 0, bytes: 0))
                    continue
                }
                // An absolute timeout is on the subscription's clock; sleeping is on the monotonic one.
                let wait = flags & 1 == 1 ? (timeout > now ? timeout - now : 0) : timeout
                let deadline = monotonicNow.addingReportingOverflow(wait).overflow ? UInt64.max : monotonicNow + wait
                clocks.append((deadline, userdata))
            case 1, 2: // fd_read, fd_write
                let fd = try memory.u32(at: try GuestMemory.advance(base, by: 16))
                let usable = tag == 1 ? fd == 0 : (fd == 1 || fd == 2)
                ready.append(Ready(userdata: userdata, errno: usable ? 0 : UInt16(WasiPreview1.badDescriptor), type: tag,
                                   bytes: usable ? (tag == 1 ? 0 : 65536) : 0))
            default:
                return WasiPreview1.invalid
            }
        }
        if ready.isEmpty, let earliest = clocks.map(\.deadline).min() {
            try WasiClock.sleep(untilMonotonic: earliest, run: run)
            let now = WasiClock.now(1) ?? earliest
            for clock in clocks where clock.deadline <= now {
                ready.append(Ready(userdata: clock.userdata, errno: 0, type: 0, bytes: 0))
            }
        }
        for (index, event) in ready.enumerated() {
            let base = try GuestMemory.advance(events, by: UInt64(index) * eventSize)
            try memory.zero(base, count: UInt32(eventSize))
            try memory.store(event.userdata, at: base)
            try memory.store(event.errno, at: try GuestMemory.advance(base, by: 8))
            try memory.store(event.type, at: try GuestMemory.advance(base, by: 10))
            try memory.store(event.bytes, at: try GuestMemory.advance(base, by: 16))
        }
        try memory.store(UInt32(ready.count), at: eventCount)
        return WasiPreview1.success
    }
}
