import Foundation
import HotRuntime
import Hummingbird
import Logging

/// Authentication and authorization for every route, driven by the generated operation table:
/// the bearer token must be a live credential of a type the operation allows, and its permissions
/// must grant the operation's action on the resource the request names.
public struct Authorizer: RequestAuthorizer {
    let credentials: CredentialStore
    let projects: ProjectStore
    let clock: any WallClock
    let limiter: RateLimiter
    let policy: RateLimitPolicy
    /// Nil: every request reads its credential from the database.
    let cache: CredentialCache?
    let usage: CredentialUsage
    /// The serve processes sharing the database: each applies its share of an org's limit.
    let processes: ServingProcesses?

    public init(database: Database, clock: any WallClock, limiter: RateLimiter, policy: RateLimitPolicy,
                cache: CredentialCache?, usage: CredentialUsage, projectCache: ProjectCache? = nil,
                processes: ServingProcesses? = nil) {
        self.credentials = CredentialStore(database: database)
        self.projects = ProjectStore(database: database, cache: projectCache)
        self.clock = clock
        self.limiter = limiter
        self.policy = policy
        self.cache = cache
        self.usage = usage
        self.processes = processes
    }

    public func authenticate(_ request: Request, context: HotRequestContext, operation: OperationDescriptor) async throws -> Credential? {
        guard operation.requiresAuthentication else { return nil }
        let credential = try await bearer(request.headers[.authorization], context: context)
        try admit(orgId: credential.orgId, plan: credential.plan)
        guard operation.credentials.contains(credential.kind) else {
            throw APIError.forbidden("This operation does not accept a \(credential.kind.displayName) credential")
        }
        usage.note(credential, at: clock.now())
        return credential
    }

    /// The live credential an `Authorization` header carries, or 401. A client whose well-formed
    /// tokens keep failing is slowed down (429) before its next guess is checked.
    func bearer(_ header: String?, context: HotRequestContext) async throws -> Credential {
        // No header, or one that holds no well-formed token, guesses nothing and costs no lookup:
        // a 401, always, never counted.
        let token = try Self.token(from: header)
        try checkGuesses(context)
        do {
            return try await credential(for: token).credential
        } catch let error as APIError where error.status == .unauthorized {
            noteFailedGuess(context)
            throw error
        }
    }

    /// 429 when the client's guesses (tokens that are no live credential, webhook URLs that name
    /// nothing) have run out for now.
    func checkGuesses(_ context: HotRequestContext) throws {
        if let wait = limiter.isExhausted(Self.failureKey(context), rate: policy.failedAuthenticationsPerSecond,
                                          burst: policy.failedAuthenticationBurst) {
            throw RateLimitPolicy.tooManyRequests(retryAfter: wait, "Too many failed authentications from this address")
        }
    }

    /// Counts one wrong guess of the client's.
    func noteFailedGuess(_ context: HotRequestContext) {
        _ = limiter.take(Self.failureKey(context), rate: policy.failedAuthenticationsPerSecond, burst: policy.failedAuthenticationBurst)
    }

    static func failureKey(_ context: HotRequestContext) -> RateLimiter.Key {
        .failedAuthentication(ClientAddress.rateLimitKey(context.remoteSocketAddress))
    }

    /// Counts one request against the org's rate limit (429 when it is spent). The plan's rate is
    /// the deployment's: this process refills (and holds) its share of it.
    func admit(orgId: UUID, plan: String) throws {
        if let rate = policy.requestsPerSecond[plan],
           let wait = limiter.take(.org(orgId), rate: processes?.share(of: rate) ?? rate, burst: max(1, processes?.share(of: rate) ?? rate)) {
            throw RateLimitPolicy.tooManyRequests(retryAfter: wait, "Rate limit of \(Int(rate)) requests per second exceeded for plan \(plan)")
        }
    }

    /// Notes that a credential was used now (`last_used_at`).
    func noteUse(_ credential: Credential) {
        usage.note(credential, at: clock.now())
    }

    /// The well-formed token a header carries, or 401.
    static func token(from header: String?) throws -> BearerToken {
        guard let header else {
            throw APIError.unauthorized("Missing Authorization header: send 'Authorization: Bearer <token>'")
        }
        // `Bearer` (any case), spaces, the token, maybe trailing spaces: read as bytes.
        let utf8 = header.utf8
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let schemeStart = utf8.firstIndex { !isSpace($0) } ?? utf8.endIndex
        let schemeEnd = utf8[schemeStart...].firstIndex(where: isSpace) ?? utf8.endIndex
        let tokenStart = utf8[schemeEnd...].firstIndex { !isSpace($0) } ?? utf8.endIndex
        let tokenEnd = utf8[tokenStart...].lastIndex { !isSpace($0) }.map { utf8.index(after: $0) } ?? tokenStart
        guard tokenStart < tokenEnd,
              utf8[schemeStart..<schemeEnd].elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 })
        else {
            throw APIError.unauthorized("Authorization header must be 'Bearer <token>'")
        }
        guard let token = BearerToken.parse(String(Substring(utf8[tokenStart..<tokenEnd]))) else {
            throw APIError.unauthorized()
        }
        return token
    }

    /// The live credential a token names, or 401. From the cache when it holds the credential (a
    /// revoked or expired one too: the answer is the same 401, without a round trip).
    func credential(for token: BearerToken) async throws -> CredentialStore.Found {
        let found: CredentialStore.Found
        if let cached = cache?.lookup(token.credentialId), cached.credential.kind == token.kind {
            found = cached
        } else {
            let generation = cache?.generation()
            guard let read = try await credentials.find(token) else { throw APIError.unauthorized() }
            if let generation { cache?.insert(read, readAt: generation) }
            found = read
        }
        guard SecretHash.matches(token.secret, digest: found.digest), !found.isRevoked else { throw APIError.unauthorized() }
        if let expiresAt = found.expiresAt, expiresAt <= clock.now() { throw APIError.unauthorized() }
        return found
    }

    public func authorize(context: inout HotRequestContext, requirements: [PermissionRequirement], inputs: PermissionInputs) async throws {
        guard let credential = context.credential else { return }
        let permissions = PermissionSet(credential.permissions)
        // Nothing to resolve (a project id costs a lookup) or match.
        if permissions.allowsEverything { return }
        for requirement in requirements {
            switch requirement.mode {
            case .filter:
                guard permissions.allowsSome(requirement.action, ofType: requirement.resourceType) else {
                    throw APIError.forbidden("Credential lacks '\(requirement.action)' on any \(requirement.resourceType) resource")
                }
            case .check:
                guard let urn = try await resolve(requirement, inputs: inputs, context: &context) else { continue }
                guard permissions.allows(requirement.action, on: urn.resolved) else {
                    throw APIError.forbidden("Credential lacks '\(requirement.action)' on \(urn.asRequested)")
                }
            }
        }
    }

    /// Fills a requirement's URN template from the request: `resolved` for the check (project ids
    /// become names), `asRequested` for messages (the caller's own words, so a refusal reveals
    /// nothing the caller did not send). Nil when a placeholder the spec marks as optional
    /// (`mayBeAbsent`) was not sent: the requirement does not apply. Any other placeholder that
    /// cannot be filled refuses the request (403): a check that cannot be made is never skipped.
    func resolve(_ requirement: PermissionRequirement, inputs: PermissionInputs, context: inout HotRequestContext) async throws -> (resolved: String, asRequested: String)? {
        var resolved = ""
        var asRequested = ""
        var rest = Substring(requirement.resource)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            resolved += rest[..<open]
            asRequested += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            switch try await value(of: name, inputs: inputs, context: &context) {
            case .value(let value):
                resolved += value.resolved
                asRequested += value.asRequested
            case .absent where requirement.mayBeAbsent.contains(name):
                return nil
            case .absent, .unknown:
                throw APIError.forbidden("Cannot check '\(requirement.action)' on \(requirement.resource): the request has no {\(name)}")
            }
            rest = rest[rest.index(after: close)...]
        }
        return (resolved + rest, asRequested + rest)
    }

    /// What a placeholder of a URN template comes to for one request.
    enum PlaceholderValue {
        case value((resolved: String, asRequested: String))
        /// The input it names was not sent (or is not a string).
        case absent
        /// It names no input this authorizer knows.
        case unknown
    }

    private func value(of placeholder: String, inputs: PermissionInputs, context: inout HotRequestContext) async throws -> PlaceholderValue {
        guard let credential = context.credential else { return .unknown }
        switch placeholder {
        case "project":
            guard let slug = inputs.path["project_id_or_slug"] else { return .absent }
            // Permissions name projects; a request may give the id, which costs a lookup (kept in
            // the context: the handler needs the project too). A name is already what it resolves
            // to (names are unique in an env), and an unknown project keeps the literal slug, so the
            // check cannot reveal whether it exists elsewhere.
            guard UUID(uuidString: slug) != nil else { return .value((slug, slug)) }
            let found = try await projects.find(envId: credential.envId, idOrName: slug)
            context[ProjectLookup.self] = ProjectLookup(idOrSlug: slug, project: found)
            return .value((found?.name ?? slug, slug))
        case "env":
            return .value((credential.envName, credential.envName))
        default:
            let parts = placeholder.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return .unknown }
            let value: String?
            switch parts[0] {
            case "path": value = inputs.path[parts[1]]
            case "query": value = inputs.query[parts[1]]
            case "body": value = inputs.body?[parts[1]]?.stringValue
            default: return .unknown
            }
            return value.map { .value(($0, $0)) } ?? .absent
        }
    }
}

extension CredentialKind {
    var displayName: String {
        switch self {
        case .apiKey: "API key"
        case .serviceKey: "service key"
        case .session: "session"
        }
    }
}
