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

/// `limit` and `offset` as a handler uses them: `limit` clamped to the maximum. Absent ones are the
/// spec's defaults, applied by the generated routes before the handler runs.
public struct PageRequest: Sendable, Equatable {
    /// The spec says larger limits are clamped to this, not refused.
    public static let maximumLimit = 500

    public var limit: Int
    public var offset: Int

    public init(limit: Int, offset: Int) {
        self.limit = min(limit, Self.maximumLimit)
        self.offset = offset
    }
}

extension Page {
    /// The same page of other items.
    public func map<Other: Sendable>(_ transform: (Item) throws -> Other) rethrows -> Page<Other> {
        Page<Other>(items: try items.map(transform), total: total, limit: limit, offset: offset)
    }
}
