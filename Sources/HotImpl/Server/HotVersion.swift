import Generated

/// The server's release version and the commit it was built from.
public enum HotVersion {
    public static let current = "0.1.0"
    public static var gitSHA: String { String(GeneratedBuildInfo.gitSHA.prefix(7)) }
}
