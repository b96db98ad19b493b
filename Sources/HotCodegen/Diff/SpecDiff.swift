import OpenAPIKit

/// The differences between two versions of the spec that matter to a client, each marked
/// breaking or compatible (README, "Spec evolution", lists the rules).
///
/// Operations are matched by method and path (path parameters by position, so renaming one is no
/// change); parameters by location and name; responses by status; schemas property by property,
/// following `$ref`s into `components/schemas`. A change inside a component is reported once, under
/// the component's name, with the operation places that reach it.
struct SpecDiff {
    /// Which way a schema's values travel decides what breaks a client: a request schema may
    /// accept more but not less, a response schema may promise more but not less.
    enum Direction {
        case request, response
    }

    /// Where the walk is: the change's subject, the property path inside it, and (inside a
    /// component) the operation place it was reached from.
    struct Place {
        var subject: String
        var path: String = ""
        var via: String?
        var direction: Direction

        func appending(_ segment: String) -> Place {
            var place = self
            place.path = segment.hasPrefix("[") || segment.hasPrefix("{") || path.isEmpty ? path + segment : path + "." + segment
            return place
        }
    }

    let old: OpenAPI.Document
    let new: OpenAPI.Document
    private var found: [String: SpecChange] = [:]
    /// Component pairs being compared (per direction), so recursive schemas end.
    var visiting: Set<String> = []

    private init(old: OpenAPI.Document, new: OpenAPI.Document) {
        self.old = old
        self.new = new
    }

    /// Every change, breaking and compatible, sorted by subject.
    static func changes(old: OpenAPI.Document, new: OpenAPI.Document) -> [SpecChange] {
        var diff = SpecDiff(old: old, new: new)
        diff.compareOperations()
        return diff.found.values.sorted()
    }

    /// Records a change; the same change reached again only adds where it was reached from.
    mutating func record(_ place: Place, _ what: String, breaking: Bool) {
        let detail = place.path.isEmpty ? what : "\(place.path) \(what)"
        let key = "\(breaking) \(place.subject): \(detail)"
        var change = found[key] ?? SpecChange(subject: place.subject, detail: detail, isBreaking: breaking)
        if let via = place.via, !change.via.contains(via) {
            change.via.append(via)
            change.via.sort()
        }
        found[key] = change
    }

    // MARK: Operations

    private struct Endpoint {
        var method: String
        var path: String
        var operation: OpenAPI.Operation
        var pathParameters: OpenAPI.Parameter.Array

        var name: String { operation.operationId ?? "\(method) \(path)" }
    }

    /// `METHOD /path/{}`: path parameters' names do not change the route.
    private static func endpoints(_ document: OpenAPI.Document) -> [(key: String, endpoint: Endpoint)] {
        document.paths.flatMap { path, item -> [(key: String, endpoint: Endpoint)] in
            guard let pathItem = item.b else { return [] }
            return pathItem.endpoints.map { endpoint in
                let method = endpoint.method.rawValue.uppercased()
                let route = path.components.map { $0.hasPrefix("{") ? "{}" : $0 }.joined(separator: "/")
                return ("\(method) /\(route)", Endpoint(method: method, path: path.rawValue, operation: endpoint.operation, pathParameters: pathItem.parameters))
            }
        }
    }

    private mutating func compareOperations() {
        let oldEndpoints = Self.endpoints(old)
        let newEndpoints = Dictionary(Self.endpoints(new), uniquingKeysWith: { first, _ in first })
        for (key, before) in oldEndpoints {
            let place = Place(subject: before.name, direction: .request)
            guard let after = newEndpoints[key] else {
                record(place, "operation removed (\(before.method) \(before.path))", breaking: true)
                continue
            }
            if after.name != before.name {
                record(place, "operationId renamed to \(after.name)", breaking: true)
            }
            compareAuthorization(before.operation, after.operation, place: place)
            compareParameters(before, after, place: place)
            compareRequestBodies(before.operation.requestBody, after.operation.requestBody, place: place)
            compareResponses(before.operation.responses, after.operation.responses, place: place)
        }
        let oldKeys = Set(oldEndpoints.map(\.key))
        for (key, after) in Self.endpoints(new) where !oldKeys.contains(key) {
            record(Place(subject: after.name, direction: .request), "operation added (\(after.method) \(after.path))", breaking: false)
        }
    }

    // MARK: Authorization (x-hot-credentials, x-hot-permission)

    private mutating func compareAuthorization(_ before: OpenAPI.Operation, _ after: OpenAPI.Operation, place: Place) {
        let oldAccess = OperationAccess(before)
        let newAccess = OperationAccess(after)
        if oldAccess.isPublic, !newAccess.isPublic {
            record(place, "now needs authentication (\(newAccess.credentials.joined(separator: ", ")))", breaking: true)
            return
        }
        if newAccess.isPublic {
            if !oldAccess.isPublic { record(place, "now public", breaking: false) }
            return
        }
        for kind in oldAccess.credentials where !newAccess.credentials.contains(kind) {
            record(place, "no longer accepts \(kind) credentials", breaking: true)
        }
        for kind in newAccess.credentials where !oldAccess.credentials.contains(kind) {
            record(place, "now also accepts \(kind) credentials", breaking: false)
        }
        let was = oldAccess.permissions.isEmpty ? "authentication alone" : oldAccess.permissions.map(\.text).joined(separator: " and ")
        for requirement in newAccess.permissions {
            guard let previous = oldAccess.permissions.first(where: { $0.resource == requirement.resource && $0.action == requirement.action }) else {
                record(place, "now needs permission \(requirement.text) (was: \(was))", breaking: true)
                continue
            }
            if previous.mode == "filter", requirement.mode == "check" {
                record(place, "permission \(requirement.text) now checked, no longer a filter", breaking: true)
            } else if previous.mode != requirement.mode {
                record(place, "permission \(requirement.text) now a filter", breaking: false)
            }
        }
        for requirement in oldAccess.permissions
        where !newAccess.permissions.contains(where: { $0.resource == requirement.resource && $0.action == requirement.action }) {
            record(place, "no longer needs permission \(requirement.text)", breaking: false)
        }
    }

    // MARK: Parameters

    private mutating func compareParameters(_ before: Endpoint, _ after: Endpoint, place: Place) {
        let oldParameters = parameters(before, in: old)
        let newParameters = parameters(after, in: new)
        for (key, parameter) in oldParameters {
            let label = "\(parameter.location.rawValue) parameter \(parameter.name)"
            guard let updated = newParameters.first(where: { $0.key == key })?.parameter else {
                record(place, "\(label) removed", breaking: true)
                continue
            }
            if !parameter.required, updated.required {
                record(place, "\(label) newly required", breaking: true)
            }
            if let oldSchema = Self.schema(of: parameter), let newSchema = Self.schema(of: updated) {
                compare(oldSchema, newSchema, at: Place(subject: "\(place.subject) \(label)", direction: .request))
            }
        }
        for (key, parameter) in newParameters where !oldParameters.contains(where: { $0.key == key }) {
            let label = "\(parameter.location.rawValue) parameter \(parameter.name)"
            record(place, parameter.required ? "\(label) added as required" : "\(label) added", breaking: parameter.required)
        }
    }

    /// Path-level then operation-level parameters (the latter win), keyed by location and name;
    /// path parameters by their position in the path.
    private func parameters(_ endpoint: Endpoint, in document: OpenAPI.Document) -> [(key: String, parameter: OpenAPI.Parameter)] {
        let pathNames = OpenAPI.Path(rawValue: endpoint.path).components
            .filter { $0.hasPrefix("{") }
            .map { String($0.dropFirst().dropLast()) }
        var result: [(key: String, parameter: OpenAPI.Parameter)] = []
        for either in endpoint.pathParameters + endpoint.operation.parameters {
            // A lookup fails only on a dangling reference, which neither spec has: each was
            // validated (and generated from) at its commit. Here and below, such a part is skipped.
            guard let parameter = try? document.components.lookup(either) else { continue }
            let key = parameter.location == .path
                ? "path #\(pathNames.firstIndex(of: parameter.name) ?? -1)"
                : "\(parameter.location.rawValue) \(parameter.name)"
            result.removeAll { $0.key == key }
            result.append((key, parameter))
        }
        return result
    }

    private static func schema(of parameter: OpenAPI.Parameter) -> JSONSchema? {
        switch parameter.schemaOrContent.a?.schema {
        case .a(let reference)?: .reference(reference.jsonReference)
        case .b(let schema)?: schema
        case nil: nil
        }
    }

    // MARK: Request bodies

    private mutating func compareRequestBodies(
        _ before: Either<OpenAPI.Reference<OpenAPI.Request>, OpenAPI.Request>?,
        _ after: Either<OpenAPI.Reference<OpenAPI.Request>, OpenAPI.Request>?,
        place: Place
    ) {
        let oldBody = before.flatMap { try? old.components.lookup($0) }
        let newBody = after.flatMap { try? new.components.lookup($0) }
        switch (oldBody, newBody) {
        case (nil, nil):
            return
        case (nil, let added?):
            record(place, added.required ? "request body added as required" : "request body added", breaking: added.required)
        case (_?, nil):
            record(place, "request body removed", breaking: true)
        case (let oldBody?, let newBody?):
            if !oldBody.required, newBody.required {
                record(place, "request body newly required", breaking: true)
            }
            for (contentType, oldEither) in oldBody.content {
                let label = contentType.typeAndSubtype == "application/json" ? "request body" : "request body \(contentType.typeAndSubtype)"
                guard let newEither = newBody.content[contentType] else {
                    record(place, "request content type \(contentType.typeAndSubtype) no longer accepted", breaking: true)
                    continue
                }
                if let oldSchema = (try? old.components.lookup(oldEither))?.schema,
                   let newSchema = (try? new.components.lookup(newEither))?.schema {
                    compare(oldSchema, newSchema, at: Place(subject: "\(place.subject) \(label)", direction: .request))
                }
            }
            for contentType in newBody.content.keys where oldBody.content[contentType] == nil {
                record(place, "request content type \(contentType.typeAndSubtype) now accepted", breaking: false)
            }
        }
    }

    // MARK: Responses

    private mutating func compareResponses(_ before: OpenAPI.Response.Map, _ after: OpenAPI.Response.Map, place: Place) {
        for (status, oldEither) in before {
            guard let newEither = after[status] else {
                record(place, "response \(status.rawValue) removed", breaking: true)
                continue
            }
            guard let oldResponse = try? old.components.lookup(oldEither),
                  let newResponse = try? new.components.lookup(newEither) else { continue }
            let label = "response \(status.rawValue)"
            for (contentType, oldContent) in oldResponse.content {
                guard let newContent = newResponse.content[contentType] else {
                    record(place, "\(label) content type \(contentType.typeAndSubtype) removed", breaking: true)
                    continue
                }
                if let oldSchema = (try? old.components.lookup(oldContent))?.schema,
                   let newSchema = (try? new.components.lookup(newContent))?.schema {
                    let subject = contentType.typeAndSubtype == "application/json" ? "\(place.subject) \(label)" : "\(place.subject) \(label) \(contentType.typeAndSubtype)"
                    compare(oldSchema, newSchema, at: Place(subject: subject, direction: .response))
                }
            }
            for contentType in newResponse.content.keys where oldResponse.content[contentType] == nil {
                record(place, "\(label) content type \(contentType.typeAndSubtype) added", breaking: false)
            }
            let newHeaders = newResponse.headers ?? [:]
            for name in (oldResponse.headers ?? [:]).keys where newHeaders[name] == nil {
                record(place, "\(label) header \(name) removed", breaking: true)
            }
        }
        for status in after.keys where before[status] == nil {
            record(place, "response \(status.rawValue) added", breaking: false)
        }
    }
}
