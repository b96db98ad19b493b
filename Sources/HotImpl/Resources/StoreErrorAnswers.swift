import HotRuntime

extension StoreError {
    /// The answer of each refusal of a store, as the spec documents it.
    var apiError: APIError {
        switch self {
        case .missing:
            APIError.notFound(description.prefix(1).uppercased() + description.dropFirst())
        case .invalid(let reason):
            APIError.badRequest(reason)
        case .buildIdOfAnotherProject:
            APIError.conflict("Build ID already exists in a different project")
        case .contextKeyExists(let key):
            APIError.conflict("Context variable '\(key)' already exists")
        case .domainLimitReached(let limit):
            APIError(status: .forbidden, code: "domain_limit_reached", message: """
                Your plan allows up to \(limit) custom domain\(limit == 1 ? "" : "s"). \
                Delete an existing domain or upgrade your plan at https://hot.dev/pricing
                """)
        case .domainExists(let name, let beingDeleted):
            APIError(status: .conflict, code: "domain_exists", message: beingDeleted
                ? "Domain '\(name)' was removed and is still being cleaned up; register it again once that finishes"
                : "Domain '\(name)' is already registered")
        case .streamNotFound:
            APIError.notFound("Stream not found")
        case .projectNameTaken(let name):
            APIError.conflict("A project named '\(name)' already exists in this environment")
        case .sessionLimitReached(let maximum):
            APIError(status: .tooManyRequests, code: "session_limit_exceeded",
                     message: "This API key already has \(maximum) active sessions; revoke some first")
        }
    }

    /// What the API middleware answers for an error from below the resources: a store's refusal,
    /// or the database away (503); nil for anything else (a 500).
    public static func answer(for error: any Error) -> APIError? {
        if let refusal = error as? StoreError { return refusal.apiError }
        return Database.unavailable(error)
    }
}
