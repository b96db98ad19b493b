/// Sleeps for `duration`; false when the task was cancelled meanwhile. A service's loop then ends
/// normally: a `CancellationError` thrown out of a service makes its ServiceGroup cancel every
/// other service, cutting their graceful shutdown short (workers' runs, the last writes).
func pause(_ duration: Duration) async -> Bool {
    do {
        try await Task.sleep(for: duration)
        return true
    } catch {
        return false
    }
}
