import Foundation
import HotImpl
import HotRuntime
import HotTestSupport
import Synchronization

/// How the shared test runtime answers: each test scripts the event types it publishes (they are
/// unique to it), so tests running at once never see each other's answers.
final class RuntimeScript: Sendable {
    static let shared = RuntimeScript()

    private let behaviours = Mutex<[String: @Sendable (TestRuntime.ReceivedRun) -> TestRuntime.Behaviour]>([:])

    /// Runs of events of `eventType` are answered by `behaviour`.
    func on(_ eventType: String, _ behaviour: @escaping @Sendable (TestRuntime.ReceivedRun) -> TestRuntime.Behaviour) {
        behaviours.withLock { $0[eventType] = behaviour }
    }

    func on(_ eventType: String, _ behaviour: TestRuntime.Behaviour) {
        on(eventType) { _ in behaviour }
    }

    /// Runs of calls (`hot:call`, which every call shares) are answered by their function's var
    /// when a test scripted it, else as `hot:call` is.
    func behaviour(for run: TestRuntime.ReceivedRun) -> TestRuntime.Behaviour {
        let key = run.eventType ?? run.handlerVar ?? ""
        let scripted = behaviours.withLock { behaviours -> (@Sendable (TestRuntime.ReceivedRun) -> TestRuntime.Behaviour)? in
            if key == "hot:call", let name = run.handlerVar, let byFunction = behaviours[name] { return byFunction }
            return behaviours[key]
        }
        return scripted?(run) ?? .succeed(result: ["ok": true])
    }
}
