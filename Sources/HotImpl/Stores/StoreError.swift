import Foundation

/// What a store refuses, in the store's own terms. Stores know rows and constraints, not HTTP: the
/// resource layer says what each answers (`StoreError.apiError`, in Resources/StoreErrorAnswers.swift),
/// and the API middleware answers with it wherever it is thrown.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Something the caller named does not exist (the CLI's env, key or org).
    case missing(String)
    /// A value the store cannot take, with why (the CLI's plan).
    case invalid(String)
    /// A build id given at upload is another project's.
    case buildIdOfAnotherProject
    /// A context variable of that key exists in the project.
    case contextKeyExists(key: String)
    /// The org holds as many custom domains as its plan allows.
    case domainLimitReached(limit: Int)
    /// The domain is registered (by any env), or was removed and is still being torn down.
    case domainExists(name: String, beingDeleted: Bool)
    /// The stream is not the env's, or (when it had to exist) does not exist.
    case streamNotFound
    /// The env has a project of that name.
    case projectNameTaken(name: String)
    /// The API key has as many active sessions as allowed.
    case sessionLimitReached(maximum: Int)
}

extension StoreError {
    /// One line for an operator (the CLI prints it).
    public var description: String {
        switch self {
        case .missing(let what): "\(what) does not exist"
        case .invalid(let reason): reason
        case .buildIdOfAnotherProject: "the build id is another project's"
        case .contextKeyExists(let key): "context variable \(key) exists"
        case .domainLimitReached(let limit): "the org holds its plan's \(limit) custom domains"
        case .domainExists(let name, let beingDeleted): "domain \(name) is registered\(beingDeleted ? " (being deleted)" : "")"
        case .streamNotFound: "no such stream in the env"
        case .projectNameTaken(let name): "a project named \(name) exists in the env"
        case .sessionLimitReached(let maximum): "the API key has \(maximum) active sessions"
        }
    }
}
