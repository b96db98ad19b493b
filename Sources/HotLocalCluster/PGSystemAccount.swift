import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The unprivileged account children run as when this process is root: initdb and postgres
/// refuse root, so they are started through `setpriv` with this account's uid and gid and no
/// supplementary groups (see `PGChildren.configuration`), and the cluster's files belong to it.
struct PGSystemAccount: Sendable {
    var name: String
    var uid: uid_t
    var gid: gid_t
    var home: String
    /// The `setpriv` (util-linux) that switches to the account.
    var setpriv: String

    /// nil when not running as root (children then run as the current user).
    static func forChildren(named name: String) throws -> PGSystemAccount? {
        guard geteuid() == 0 else { return nil }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        let code = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
        guard code == 0, let found = result?.pointee else { throw LocalClusterError.systemAccountMissing(name) }
        guard found.pw_uid != 0 else {
            throw LocalClusterError.unusableDirectory(path: name, reason: "the system account '\(name)' is root; initdb and postgres refuse root")
        }
        let candidates = ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv", "/sbin/setpriv"]
            + PGPaths.searchPath().map { $0 + "/setpriv" }
        guard let setpriv = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw LocalClusterError.unusableDirectory(
                path: name, reason: "running as root, but setpriv (util-linux) was not found: it is needed to run initdb and postgres as the '\(name)' user")
        }
        return PGSystemAccount(
            name: name, uid: found.pw_uid, gid: found.pw_gid,
            home: found.pw_dir.map { String(cString: $0) } ?? "/", setpriv: setpriv)
    }
}
