import Foundation
import HotRuntime
import Instrumentation
import Logging
import ServiceLifecycle
import Synchronization
import Tracing

/// The process's workers: each routes events into runs, claims runs and executes them: in the
/// embedded WebAssembly runtime when the run's build carries a module for its function, else in the
/// HTTP runtime, when one is configured (else such runs wait for a process that has one). Idle
/// workers wait for a notification (a slow poll covers a missed one).
public struct WorkerPool: Service {
    public struct Configuration: Sendable {
        public var workers: Int
        /// How long a claim holds a run; renewed at a third of it while the run is in flight.
        public var lease: Duration
        /// The first retry's delay; each further one doubles it.
        public var retryBackoff: Duration
        /// How often an idle worker looks for work without being told.
        public var pollInterval: Duration

        public init(workers: Int = 2, lease: Duration = .seconds(30), retryBackoff: Duration = .seconds(1),
                    pollInterval: Duration = .seconds(5)) {
            self.workers = workers
            self.lease = lease
            self.retryBackoff = retryBackoff
            self.pollInterval = pollInterval
        }
    }

    let router: RunRouter
    let queue: LeaseQueue
    let contexts: ContextStore
    /// The HTTP runtime (`HOT_RUNTIME_URL`).
    let runtime: (any Runtime)?
    let embedded: EmbeddedRuntime?
    let work: WorkSignal
    let configuration: Configuration
    let logger: Logger
    /// Names this process's claims in `run_job.locked_by`.
    let identity = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"

    public init(database: Database, pubsub: any PubSub, secrets: SecretBox, runtime: (any Runtime)?, embedded: EmbeddedRuntime?,
                work: WorkSignal, configuration: Configuration = .init(), logger: Logger) {
        self.router = RunRouter(database: database, pubsub: pubsub)
        self.queue = LeaseQueue(database: database, pubsub: pubsub)
        self.contexts = ContextStore(database: database, box: secrets)
        self.runtime = runtime
        self.embedded = embedded
        self.work = work
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        // On graceful shutdown workers take no new work; runs in flight finish first.
        let stopping = StopFlag()
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // The slow poll: a notification missed while reconnecting, a retry whose delay passed.
                    while !stopping.isSet {
                        guard await pause(configuration.pollInterval) else { return }
                        work.signal()
                    }
                }
                for index in 0..<configuration.workers {
                    let waiter = work.waiter()
                    group.addTask { await loop(index, waiter: waiter, stopping: stopping) }
                }
                try await group.waitForAll()
            }
        } onGracefulShutdown: {
            stopping.set()
            work.signal()
        }
    }

    func loop(_ index: Int, waiter: AsyncStream<Void>, stopping: StopFlag) async {
        let worker = "\(identity)/\(index)"
        var wakeUps = waiter.makeAsyncIterator()
        while !Task.isCancelled, !stopping.isSet {
            var busy = false
            do {
                // A worker with a runtime claims a run in its routing transaction.
                let claimant = runtime != nil || embedded != nil
                    ? LeaseQueue.Claimant(worker: worker, lease: configuration.lease, embeddedOnly: runtime == nil) : nil
                let routingStart = HotTracing.isEnabled ? HotTracing.now : nil
                let routing = try await router.route(claimingWith: claimant.map { (queue, $0) })
                busy = routing.events > 0
                if let claimed = routing.claimed {
                    busy = true
                    if let claim = try await queue.prepare(claimed, worker: worker, contexts: contexts) {
                        if let routingStart {
                            await traced(claim, claimedSince: routingStart, worker: worker)
                        } else {
                            await execute(claim, worker: worker)
                        }
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                logger.error("worker step failed", metadata: ["worker": .string(worker), "error": "\(error)"])
            }
            if !busy, await wakeUps.next() == nil { return }
        }
    }

    /// Runs one claimed run as `execute` does, in its span (`run <fn>`): a child of the span that
    /// queued it (a request's, a schedule's, in whichever process) when its trace was stored, with
    /// its claim (since `start`, when the routing transaction that claimed it began) as a first child.
    func traced(_ claim: LeaseQueue.Claim, claimedSince start: DefaultTracerClock.Instant, worker: String) async {
        let request = claim.request
        let function = "\(request.handler.ns)/\(request.handler.var)"
        guard let span = HotTracing.start("run \(function)", ofKind: .consumer, context: claim.trace?.context ?? .topLevel, at: start) else {
            await execute(claim, worker: worker)
            return
        }
        span.updateAttributes { attributes in
            attributes["hot.run_id"] = request.runId.lowercased
            attributes["hot.run_type"] = request.runType
            attributes["hot.function"] = function
            attributes["hot.attempt"] = claim.attempt
            attributes["hot.runtime"] = claim.module == nil ? "http" : "wasm"
            attributes["hot.worker"] = worker
        }
        HotTracing.start("claim", context: span.context, at: start)?.end()
        let outcome = await InstrumentationContext.$current.withValue(span.context) {
            await execute(claim, worker: worker)
        }
        switch outcome {
        case .succeeded?: span.attributes["hot.outcome"] = "succeeded"
        case .failed?:
            span.attributes["hot.outcome"] = "failed"
            span.setStatus(.init(code: .error))
        case nil: span.attributes["hot.outcome"] = "interrupted"
        }
        span.end()
    }

    /// Runs one claimed run, renewing its lease meanwhile, and records the outcome; nil when the
    /// run was stopped midway (given back to the queue).
    @discardableResult
    func execute(_ claim: LeaseQueue.Claim, worker: String) async -> RuntimeOutcome? {
        let request = claim.request
        let queue = self.queue
        // A call's run logs the id of the request that made it (a webhook's or a tool's).
        let logger = request.callerRequestId.map { requestId in
            var logger = self.logger
            logger[metadataKey: "request_id"] = .string(requestId)
            return logger
        } ?? self.logger
        let (runtime, embedded) = (self.runtime, self.embedded)
        let outcome = await withTaskGroup(of: RuntimeOutcome?.self) { group in
            group.addTask {
                let publish: @Sendable (RuntimeData) async -> Void = { data in
                    do {
                        try await queue.publishData(data, of: request)
                    } catch {
                        logger.error("could not publish stream data", metadata: ["run_id": .string(request.runId.lowercased), "error": "\(error)"])
                    }
                }
                if let module = claim.module, let embedded {
                    return await embedded.execute(request, module: module, onData: publish)
                }
                guard let runtime else {
                    // Not claimed without a runtime for it (see `claim`'s embeddedOnly).
                    return .failed(.string("no runtime is configured for a function without a WebAssembly module"))
                }
                return await runtime.execute(request, onData: publish)
            }
            group.addTask {
                while !Task.isCancelled {
                    // Throws only when cancelled (the run ended), which the next line sees.
                    try? await Task.sleep(for: configuration.lease / 3)
                    if Task.isCancelled { break }
                    do {
                        if try await queue.renew(runId: request.runId, worker: worker, lease: configuration.lease) == false {
                            logger.warning("lost the lease of a run in flight", metadata: ["run_id": .string(request.runId.lowercased)])
                        }
                    } catch {
                        // Cancelled mid-renewal: the run ended, nothing to renew any more.
                        if Task.isCancelled { break }
                        // Tried again at the next turn; should the lease run out meanwhile, another
                        // worker runs the run again (at least once).
                        logger.warning("could not renew the lease of a run in flight", metadata: [
                            "run_id": .string(request.runId.lowercased), "error": "\(error)",
                        ])
                    }
                }
                return nil
            }
            var outcome: RuntimeOutcome = .failed("the run was interrupted")
            if let finished = await group.next(), let finished { outcome = finished }
            group.cancelAll()
            return outcome
        }
        if Task.isCancelled {
            // Stopped mid-run: the run goes back to the queue for another worker. Released from a
            // task of its own: this one is cancelled, and a database call made in it is cancelled with it.
            let released = await Task { try await queue.release(runId: request.runId, worker: worker) }.result
            if case .failure(let error) = released {
                logger.warning("could not give a stopped run back to the queue; it runs again when its lease runs out", metadata: [
                    "run_id": .string(request.runId.lowercased), "error": "\(error)",
                ])
            }
            return nil
        }
        do {
            // Each retry waits twice as long as the one before.
            let backoff = configuration.retryBackoff * (1 << min(claim.attempt - 1, 16))
            if try await queue.complete(claim, outcome: outcome, worker: worker, backoff: backoff) != nil {
                let work = self.work
                Task {
                    // Nothing cancels this task: the sleep ends after the backoff.
                    try? await Task.sleep(for: backoff)
                    work.signal()
                }
            }
        } catch {
            // The lease runs out and another worker runs it again: at least once.
            logger.error("could not record a run's outcome", metadata: ["run_id": .string(request.runId.lowercased), "error": "\(error)"])
        }
        return outcome
    }
}

