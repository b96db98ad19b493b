import Foundation
import HotRuntime
import Testing

@testable import HotImpl

@Suite("Credential cache (unit)")
struct CredentialCacheUnitTests {
    func found(id: UUID = UUID(), apiKeyId: UUID = UUID(), envId: UUID = UUID(), orgId: UUID = UUID()) -> CredentialStore.Found {
        CredentialStore.Found(
            credential: Credential(kind: .session, id: id, apiKeyId: apiKeyId, envId: envId, envName: "e", orgId: orgId, permissions: [:], plan: "pro"),
            digest: "d", isRevoked: false, expiresAt: nil)
    }

    @Test("nothing is served or kept until the listener listens, nor after it stops")
    func bypassedWhenNotListening() throws {
        let cache = CredentialCache()
        let entry = found()
        #expect(cache.generation() == nil)
        cache.insert(entry, readAt: .init(count: 0))
        #expect(cache.lookup(entry.credential.id) == nil)
        cache.listening(true)
        cache.insert(entry, readAt: try #require(cache.generation()))
        #expect(cache.lookup(entry.credential.id) != nil)
        cache.listening(false)
        #expect(cache.lookup(entry.credential.id) == nil)
        #expect(cache.statistics.entries == 0)
    }

    @Test("a read that started before an eviction does not put back what was evicted")
    func generationGuardsInserts() throws {
        let cache = CredentialCache()
        cache.listening(true)
        let entry = found()
        let generation = try #require(cache.generation())
        // The revocation's notification arrives while the read is in flight.
        cache.evict(.credential(entry.credential.id))
        cache.insert(entry, readAt: generation)
        #expect(cache.lookup(entry.credential.id) == nil)
        cache.insert(entry, readAt: try #require(cache.generation()))
        #expect(cache.lookup(entry.credential.id) != nil)
    }

    @Test("evictions by API key, env and org take everything under them")
    func evictionScopes() throws {
        let cache = CredentialCache()
        cache.listening(true)
        let key = UUID(), env = UUID(), org = UUID()
        let byKey = found(apiKeyId: key), byEnv = found(envId: env), byOrg = found(orgId: org), other = found()
        for entry in [byKey, byEnv, byOrg, other] { cache.insert(entry, readAt: try #require(cache.generation())) }
        cache.evict(.apiKey(key))
        cache.evict(.env(env))
        cache.evict(.org(org))
        #expect([byKey, byEnv, byOrg].allSatisfy { cache.lookup($0.credential.id) == nil })
        #expect(cache.lookup(other.credential.id) != nil)
    }

    @Test("entries age out after their lifetime")
    func lifetime() throws {
        let cache = CredentialCache(lifetime: .zero)
        cache.listening(true)
        let entry = found()
        cache.insert(entry, readAt: try #require(cache.generation()))
        #expect(cache.lookup(entry.credential.id) == nil)
    }
}
