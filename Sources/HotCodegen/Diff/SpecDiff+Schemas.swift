import OpenAPIKit

extension SpecDiff {
    /// Compares two schemas at one place: nullability here, the rest in `compareValues`.
    mutating func compare(_ before: JSONSchema, _ after: JSONSchema, at place: Place) {
        let (oldValue, oldNullable) = Self.unwrappingNull(before)
        let (newValue, newNullable) = Self.unwrappingNull(after)
        if !oldNullable, newNullable {
            record(place, "may now be null", breaking: place.direction == .response)
        } else if oldNullable, !newNullable {
            record(place, "may no longer be null", breaking: place.direction == .request)
        }
        compareValues(oldValue, newValue, at: place)
    }

    /// `type: [X, "null"]` and `oneOf: [X, {type: "null"}]`: X, nullable.
    private static func unwrappingNull(_ schema: JSONSchema) -> (JSONSchema, Bool) {
        if case .one(let alternatives, _) = schema.value {
            let nonNull = alternatives.filter { !$0.isNull }
            if alternatives.count == 2, nonNull.count == 1 { return (nonNull[0], true) }
        }
        return (schema, schema.nullable)
    }

    private mutating func compareValues(_ before: JSONSchema, _ after: JSONSchema, at place: Place) {
        // The same component on both sides: changes inside it are reported under its name.
        if case .reference(let oldReference, _) = before.value, case .reference(let newReference, _) = after.value,
           let name = oldReference.name, name == newReference.name {
            guard let oldTarget = old.components[oldReference] else { return record(place, "$ref \(name) does not resolve in OLD", breaking: false) }
            guard let newTarget = new.components[newReference] else { return record(place, "$ref \(name) does not resolve", breaking: true) }
            let key = "\(name) \(place.direction)"
            guard !visiting.contains(key) else { return }
            visiting.insert(key)
            defer { visiting.remove(key) }
            let via = place.via ?? place.subject
            compare(oldTarget, newTarget, at: Place(subject: name, via: via, direction: place.direction))
            return
        }
        // A reference on one side only (or to another component): compare what it points at, here.
        if case .reference(let reference, _) = before.value {
            guard let target = old.components[reference] else { return record(place, "$ref \(reference.name ?? "?") does not resolve in OLD", breaking: false) }
            return compare(target, after, at: place)
        }
        if case .reference(let reference, _) = after.value {
            guard let target = new.components[reference] else { return record(place, "$ref \(reference.name ?? "?") does not resolve", breaking: true) }
            return compare(before, target, at: place)
        }

        let oldType = Self.typeName(before)
        let newType = Self.typeName(after)
        guard oldType == newType else {
            return record(place, "type changed from \(oldType) to \(newType)", breaking: true)
        }
        compareAllowedValues(before, after, at: place)
        switch (before.value, after.value) {
        case (.object(_, let oldObject), .object(_, let newObject)):
            compareObjects(oldObject, newObject, at: place)
        case (.array(_, let oldArray), .array(_, let newArray)):
            if let oldItems = oldArray.items, let newItems = newArray.items {
                compare(oldItems, newItems, at: place.appending("[]"))
            }
        case (.all, _), (.any, _), (.not, _), (.one, _):
            // Shapes the conventions do not use: any change to them counts.
            if before != after { record(place, "schema changed", breaking: true) }
        default:
            break
        }
    }

    /// The JSON type with its format (`string(uuid)`), or the combinator; `{}` is `any`.
    private static func typeName(_ schema: JSONSchema) -> String {
        switch schema.value {
        case .all: return "allOf"
        case .any: return "anyOf"
        case .one: return "oneOf"
        case .not: return "not"
        case .fragment: return "any"
        case .reference(let reference, _): return reference.name ?? "$ref"
        default:
            let type = schema.jsonType?.rawValue ?? "any"
            guard let format = schema.formatString, !format.isEmpty else { return type }
            return "\(type)(\(format))"
        }
    }

    /// `enum`: a value removed breaks both ways. A value added breaks a response (a client built
    /// from OLD refuses a value it does not know; spec/CONVENTIONS.md keeps extensible values out of
    /// enums for that reason), not a request.
    private mutating func compareAllowedValues(_ before: JSONSchema, _ after: JSONSchema, at place: Place) {
        let oldValues = before.allowedValues.map { $0.map { "\($0.value)" } }
        let newValues = after.allowedValues.map { $0.map { "\($0.value)" } }
        switch (oldValues, newValues) {
        case (let oldValues?, let newValues?):
            for value in oldValues where !newValues.contains(value) {
                record(place, "enum value \(value) removed", breaking: true)
            }
            for value in newValues where !oldValues.contains(value) {
                record(place, "enum value \(value) added", breaking: place.direction == .response)
            }
        case (nil, let newValues?):
            record(place, "now limited to enum values \(newValues.joined(separator: ", "))", breaking: place.direction == .request)
        case (_?, nil):
            record(place, "no longer limited to enum values", breaking: place.direction == .response)
        case (nil, nil):
            break
        }
    }

    private mutating func compareObjects(_ before: JSONSchema.ObjectContext, _ after: JSONSchema.ObjectContext, at place: Place) {
        let oldRequired = Set(before.requiredProperties)
        let newRequired = Set(after.requiredProperties)
        let closed: Bool
        if case .a(false)? = after.additionalProperties { closed = true } else { closed = false }
        for (name, oldSchema) in before.properties {
            let property = place.appending(name)
            guard let newSchema = after.properties[name] else {
                // A request property that is gone is refused when the object takes no others.
                record(property, "removed", breaking: place.direction == .response || closed)
                continue
            }
            switch place.direction {
            case .request where !oldRequired.contains(name) && newRequired.contains(name):
                record(property, "newly required", breaking: true)
            case .response where oldRequired.contains(name) && !newRequired.contains(name):
                record(property, "no longer always present", breaking: true)
            default:
                break
            }
            compare(oldSchema, newSchema, at: property)
        }
        for name in after.properties.keys where before.properties[name] == nil {
            let required = place.direction == .request && newRequired.contains(name)
            record(place.appending(name), required ? "added as required" : "added", breaking: required)
        }
        switch (before.additionalProperties, after.additionalProperties) {
        case (.b(let oldValues)?, .b(let newValues)?):
            compare(oldValues, newValues, at: place.appending("{}"))
        case (.a(false)?, .a(false)?):
            break
        case (_, .a(false)?) where place.direction == .request:
            record(place, "no longer accepts other properties", breaking: true)
        default:
            break
        }
    }
}
