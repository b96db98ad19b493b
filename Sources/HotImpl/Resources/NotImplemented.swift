import Generated
import HotRuntime

// Operations whose issues are still open: routed, authenticated, validated, and answered with
// 501 `not_implemented` in the error envelope until implemented in their own resource file.
extension HotService {
    public func listDomains(_ input: ListDomains.Input, context: HotRequestContext) async throws -> ListDomains.Output {
        throw APIError.notImplemented("listDomains")
    }

    public func createDomain(_ input: CreateDomain.Input, context: HotRequestContext) async throws -> CreateDomain.Output {
        throw APIError.notImplemented("createDomain")
    }

    public func getDomain(_ input: GetDomain.Input, context: HotRequestContext) async throws -> GetDomain.Output {
        throw APIError.notImplemented("getDomain")
    }

    public func deleteDomain(_ input: DeleteDomain.Input, context: HotRequestContext) async throws -> DeleteDomain.Output {
        throw APIError.notImplemented("deleteDomain")
    }

    public func verifyDomain(_ input: VerifyDomain.Input, context: HotRequestContext) async throws -> VerifyDomain.Output {
        throw APIError.notImplemented("verifyDomain")
    }
}
