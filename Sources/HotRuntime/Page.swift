/// One page of a list operation: the handler fills it, the route wraps it in the list envelope.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    /// How many items the whole list holds.
    public var total: Int
    public var limit: Int
    public var offset: Int

    public init(items: [Item], total: Int, limit: Int, offset: Int) {
        self.items = items
        self.total = total
        self.limit = limit
        self.offset = offset
    }

    public var hasMore: Bool { offset + items.count < total }
}

/// `limit` and `offset` as a handler uses them: defaults applied, `limit` clamped to the maximum.
public struct PageRequest: Sendable, Equatable {
    public static let defaultLimit = 20
    public static let maximumLimit = 500

    public var limit: Int
    public var offset: Int

    public init(limit: Int?, offset: Int?) {
        self.limit = min(limit ?? Self.defaultLimit, Self.maximumLimit)
        self.offset = offset ?? 0
    }
}
