import Generated
import HotRuntime

extension HotService {
    public func listProjects(_ input: ListProjects.Input, context: HotRequestContext) async throws -> ListProjects.Output {
        let credential = try context.requireCredential()
        // Only the projects the credential may read are listed.
        let names = PermissionSet(credential.permissions).paths(for: "read", ofType: "project")
        let page = PageRequest(limit: input.limit, offset: input.offset)
        return .ok(try await projects.list(envId: credential.envId, page: page, names: names))
    }

    public func createProject(_ input: CreateProject.Input, context: HotRequestContext) async throws -> CreateProject.Output {
        let credential = try context.requireCredential()
        return .created(try await projects.create(envId: credential.envId, name: input.body.name))
    }

    public func getProject(_ input: GetProject.Input, context: HotRequestContext) async throws -> GetProject.Output {
        .ok(try await project(input.projectIdOrSlug, context: context))
    }

    public func updateProject(_ input: UpdateProject.Input, context: HotRequestContext) async throws -> UpdateProject.Output {
        let existing = try await project(input.projectIdOrSlug, context: context)
        guard let renamed = try await projects.rename(envId: existing.envId, projectId: existing.projectId, to: input.body.name) else {
            throw APIError.notFound("Project not found")
        }
        return .ok(renamed)
    }

    public func deleteProject(_ input: DeleteProject.Input, context: HotRequestContext) async throws -> DeleteProject.Output {
        let existing = try await project(input.projectIdOrSlug, context: context)
        let archives = try await builds.storagePaths(projectId: existing.projectId)
        guard try await projects.delete(envId: existing.envId, projectId: existing.projectId) else {
            throw APIError.notFound("Project not found")
        }
        // Its builds went with it; their archives follow (best effort: the rows are what count, and
        // an archive that stays is logged).
        for path in archives { await deleteArchive(path, because: "its project was deleted", context: context) }
        return .noContent
    }

    public func activateProject(_ input: ActivateProject.Input, context: HotRequestContext) async throws -> ActivateProject.Output {
        .ok(try await setActive(true, input.projectIdOrSlug, context: context))
    }

    public func deactivateProject(_ input: DeactivateProject.Input, context: HotRequestContext) async throws -> DeactivateProject.Output {
        .ok(try await setActive(false, input.projectIdOrSlug, context: context))
    }

    private func setActive(_ active: Bool, _ idOrSlug: String, context: HotRequestContext) async throws -> ProjectActivation {
        _ = try apiKey(context, managing: "projects' activation")
        let existing = try await project(idOrSlug, context: context)
        guard let (project, redeployed) = try await projects.setActive(active, envId: existing.envId, projectId: existing.projectId) else {
            throw APIError.notFound("Project not found")
        }
        return ProjectActivation(project: project, redeployedBuildId: redeployed)
    }
}
