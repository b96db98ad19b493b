/// Why the moto test server could not be started or set up.
struct MotoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
