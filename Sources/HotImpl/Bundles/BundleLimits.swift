/// Resource limits applied while reading an uploaded build zip.
/// Every limit is enforced against the bytes actually read or decompressed,
/// never against sizes declared in the archive's headers.
public struct BundleLimits: Sendable, Equatable {
    /// Maximum number of entries in the archive.
    public var maxEntries: Int
    /// Maximum sum of the decompressed sizes of all entries.
    public var maxTotalUncompressedBytes: Int64
    /// Maximum ratio of decompressed to compressed bytes for one entry.
    public var maxCompressionRatio: Int64
    /// The ratio is only checked once an entry has produced more than this many bytes.
    public var ratioCheckThresholdBytes: Int64
    /// Maximum length in bytes of an entry's path.
    public var maxPathBytes: Int
    /// Maximum number of components of an entry's path.
    public var maxPathDepth: Int
    /// Maximum decompressed size of `manifest.hot`.
    public var maxManifestBytes: Int
    /// Maximum decompressed size of one WebAssembly module entry (`.wasm` or `.wat`), and of
    /// all of a bundle's modules together (they are kept with the build in the database).
    public var maxModuleBytes: Int

    public init(
        maxEntries: Int = 10_000,
        maxTotalUncompressedBytes: Int64 = 1 << 30,
        maxCompressionRatio: Int64 = 200,
        ratioCheckThresholdBytes: Int64 = 1 << 20,
        maxPathBytes: Int = 1_024,
        maxPathDepth: Int = 64,
        maxManifestBytes: Int = 1 << 20,
        maxModuleBytes: Int = 64 << 20
    ) {
        self.maxEntries = maxEntries
        self.maxTotalUncompressedBytes = maxTotalUncompressedBytes
        self.maxCompressionRatio = maxCompressionRatio
        self.ratioCheckThresholdBytes = ratioCheckThresholdBytes
        self.maxPathBytes = maxPathBytes
        self.maxPathDepth = maxPathDepth
        self.maxManifestBytes = maxManifestBytes
        self.maxModuleBytes = maxModuleBytes
    }

    /// 10,000 entries, 1 GiB total, ratio 200 (checked past 1 MiB), 1,024-byte paths,
    /// 64 path components, 1 MiB manifest, 64 MiB of modules.
    public static let `default` = BundleLimits()
}
