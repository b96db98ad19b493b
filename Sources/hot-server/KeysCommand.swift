import ArgumentParser
import Foundation
import HotImpl
import HotRuntime

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API keys.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key and print its token as the last line.")

        @Option(help: "Environment of the key (created when missing).") var env = "development"
        @Option(help: "A name for the key.") var name: String?
        @Option(help: "Permission map as JSON, e.g. '{\"project:*\":[\"read\"]}'.") var permissions = #"{"*:*":["*"]}"#

        func run() async throws {
            let setup = try Setup.make()
            let map: [String: [String]]
            do {
                map = try PermissionsArgument.parse(permissions)
            } catch {
                throw ValidationError("\(error)")
            }
            try await runReportingFailure {
                let token = try await DatabaseSession.with(setup.configuration, logger: setup.logger) { database, defaults in
                    let env = try await EnvStore(database: database).ensure(name: env, orgId: defaults.orgId)
                    let (record, token) = try await APIKeyStore(database: database).create(envId: env.envId, name: name, permissions: map)
                    setup.logger.info("created API key", metadata: ["api_key_id": .string(record.id.lowercased), "env": .string(env.name)])
                    return token.text
                }
                FileHandle.standardOutput.write(Data("\(token)\n".utf8))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List API keys (never their secrets).")

        @Option(help: "Only keys of this environment.") var env: String?

        func run() async throws {
            let setup = try Setup.make()
            try await runReportingFailure {
                let records = try await DatabaseSession.with(setup.configuration, logger: setup.logger) { database, _ in
                    try await APIKeyStore(database: database).list(envName: env)
                }
                var lines = ["ID\tNAME\tENV\tCREATED\tREVOKED"]
                for record in records {
                    lines.append([
                        record.id.lowercased, record.name ?? "-", record.envName,
                        RFC3339.string(from: record.createdAt), record.revokedAt.map(RFC3339.string(from:)) ?? "-",
                    ].joined(separator: "\t"))
                }
                FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key.")

        @Argument(help: "The key's id (from 'keys list').") var id: String

        func run() async throws {
            guard let keyId = UUID(uuidString: id) else { throw ValidationError("'\(id)' is not an API key id (a UUID)") }
            let setup = try Setup.make()
            try await runReportingFailure {
                let revoked = try await DatabaseSession.with(setup.configuration, logger: setup.logger) { database, _ in
                    try await APIKeyStore(database: database).revoke(id: keyId)
                }
                guard revoked else { throw StoreError.missing("API key \(id)") }
                FileHandle.standardOutput.write(Data("revoked \(keyId.lowercased)\n".utf8))
            }
        }
    }
}

struct Org: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage the default organization.", subcommands: [SetPlan.self])

    struct SetPlan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-plan", abstract: "Set the default org's plan.")

        @Argument(help: "starter, pro, scale, enterprise or self-hosted.") var plan: String

        func validate() throws {
            guard OrgStore.plans.contains(plan) else {
                throw ValidationError("unknown plan '\(plan)': use one of \(OrgStore.plans.joined(separator: ", "))")
            }
        }

        func run() async throws {
            let setup = try Setup.make()
            try await runReportingFailure {
                let org = try await DatabaseSession.with(setup.configuration, logger: setup.logger) { database, _ in
                    try await OrgStore(database: database).setDefaultPlan(plan)
                }
                FileHandle.standardOutput.write(Data("org \(org.id.lowercased) plan \(org.plan)\n".utf8))
            }
        }
    }
}
