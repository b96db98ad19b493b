import Foundation
import Generated
import HotRuntime
import HotWasm
import NIOPosix

extension HotService {
    public func listBuilds(_ input: ListBuilds.Input, context: HotRequestContext) async throws -> ListBuilds.Output {
        let credential = try context.requireCredential()
        // Only the builds of projects the credential may read are listed.
        let names = PermissionSet(credential.permissions).paths(for: "read", ofType: "build")
        return .ok(try await builds.list(envId: credential.envId, page: PageRequest(limit: input.limit, offset: input.offset), names: names))
    }

    public func listProjectBuilds(_ input: ListProjectBuilds.Input, context: HotRequestContext) async throws -> ListProjectBuilds.Output {
        let project = try await project(input.projectIdOrSlug, context: context)
        return .ok(try await builds.list(projectId: project.projectId, page: PageRequest(limit: input.limit, offset: input.offset)))
    }

    public func getBuild(_ input: GetBuild.Input, context: HotRequestContext) async throws -> GetBuild.Output {
        .ok(try await build(input.buildId, of: input.projectIdOrSlug, context: context))
    }

    public func getDeployedBuild(_ input: GetDeployedBuild.Input, context: HotRequestContext) async throws -> GetDeployedBuild.Output {
        let project = try await project(input.projectIdOrSlug, context: context)
        guard let build = try await builds.deployed(projectId: project.projectId) else { throw APIError.notFound("No deployed build found") }
        return .ok(build)
    }

    public func getLiveBuild(_ input: GetLiveBuild.Input, context: HotRequestContext) async throws -> GetLiveBuild.Output {
        let project = try await project(input.projectIdOrSlug, context: context)
        guard let build = try await builds.live(projectId: project.projectId) else { throw APIError.notFound("No live build found") }
        return .ok(build)
    }

    public func downloadBuild(_ input: DownloadBuild.Input, context: HotRequestContext) async throws -> DownloadBuild.Output {
        let build = try await build(input.buildId, of: input.projectIdOrSlug, context: context)
        // An archive kept by another storage than the one configured now is not reachable here.
        guard let path = build.storagePath, build.storageBackend == storage.backend else {
            throw APIError.notFound("Build archive not found in the configured \(storage.backend) storage")
        }
        let archive: StoredArchive
        do {
            archive = try await storage.open(path: path)
        } catch BuildStorageError.notFound {
            throw APIError.notFound("Build archive not found")
        }
        return .ok(BinaryBody(contentType: "application/zip", body: archive.body),
                   headers: .init(contentDisposition: "attachment; filename=\"\(build.buildId.lowercased).hot.zip\""))
    }

    public func uploadBuild(_ input: UploadBuild.Input, context: HotRequestContext) async throws -> UploadBuild.Output {
        let credential = try context.requireCredential()
        let project = try await project(input.projectIdOrSlug, context: context)
        let file = input.body.file
        let hash = input.body.hash.lowercased()
        guard hash == file.sha256 else {
            throw APIError.badRequest("Hash mismatch: the form's hash is \(hash), the file's SHA-256 is \(file.sha256)")
        }
        // A known build id answers at once, before the archive is read or stored.
        if let buildId = input.body.buildId, let owner = try await builds.owner(of: buildId) {
            guard owner == project.projectId else { throw APIError.conflict("Build ID already exists in a different project") }
            if let existing = try await builds.find(projectId: project.projectId, buildId: buildId) {
                return .ok(Self.upload(existing), headers: .init(xBuildExists: "true"))
            }
        }
        let contents = try await Self.readBundle(file.url, wasmLimits: wasmLimits)
        let buildId = input.body.buildId ?? UUID.v7()
        // Each attempt stores under a key of its own, so a concurrent upload of the same id never
        // overwrites the archive of the build that wins.
        let key = "\(project.projectId.lowercased)/\(buildId.lowercased)-\(UUID().uuidString.prefix(8).lowercased()).hot.zip"
        let path = try await storage.store(file: file.url, size: file.size, key: key)
        let creation: BuildStore.Creation
        do {
            creation = try await builds.create(
                BuildStore.NewBuild(buildId: buildId, projectId: project.projectId, envId: credential.envId, hash: hash,
                                    size: file.size, buildType: "bundle", contents: contents),
                storagePath: path, backend: storage.backend)
        } catch {
            await deleteArchive(path, because: "its build was not recorded", context: context)
            throw error
        }
        switch creation {
        case .created(let build):
            return .created(Self.upload(build))
        case .exists(let build):
            await deleteArchive(path, because: "a concurrent upload of the build won", context: context)
            return .ok(Self.upload(build), headers: .init(xBuildExists: "true"))
        }
    }

    /// Removes a stored archive that no build refers to (any more). The request does not fail
    /// when that does not work, but the archive is left behind in storage with nothing pointing
    /// at it: the warning names it, with the request's id (the context's logger carries it).
    func deleteArchive(_ path: String, because reason: String, context: HotRequestContext) async {
        do {
            try await storage.delete(path: path)
        } catch {
            context.logger.warning("could not delete a stored build archive; it is left behind", metadata: [
                "storage_backend": .string(storage.backend),
                "storage_path": .string(path),
                "reason": .string(reason),
                "error": .string(String(reflecting: error)),
            ])
        }
    }

    public func deployBuild(_ input: DeployBuild.Input, context: HotRequestContext) async throws -> DeployBuild.Output {
        let credential = try context.requireCredential()
        let project = try await project(input.projectIdOrSlug, context: context)
        // Deploying may reactivate the project: this process forgets it at once (others when the
        // trigger's notification arrives).
        defer { projectCache?.evict(project.projectId, envId: project.envId) }
        guard let build = try await builds.deploy(projectId: project.projectId, buildId: input.buildId, envId: credential.envId) else {
            throw APIError.notFound("Build not found")
        }
        return .ok(build)
    }

    /// The build of the project named in the path, or 404.
    func build(_ buildId: UUID, of projectIdOrSlug: String, context: HotRequestContext) async throws -> Build {
        let project = try await project(projectIdOrSlug, context: context)
        guard let build = try await builds.find(projectId: project.projectId, buildId: buildId) else { throw APIError.notFound("Build not found") }
        return build
    }

    static func upload(_ build: Build) -> BuildUpload {
        BuildUpload(buildId: build.buildId, projectId: build.projectId, hash: build.hash, size: build.size,
                    storagePath: build.storagePath ?? "", storageBackend: build.storageBackend ?? "", createdAt: build.createdAt)
    }

    /// Reads the archive's manifest off the request's executor (decompressing up to the limits
    /// takes CPU); a bundle that breaks a rule is a 400 naming it.
    static func readBundle(_ url: URL, wasmLimits: WasmSandbox.Limits) async throws -> BundleContents {
        do {
            return try await NIOThreadPool.singleton.runIfActive {
                var contents = try BundleReader.read(file: url)
                // Every module a function would run is checked now, not at its first run.
                try BundleModules.check(&contents, limits: wasmLimits)
                return contents
            }
        } catch let error as BundleError {
            throw APIError.badRequest("Invalid build archive: \(error.message)")
        }
    }
}
