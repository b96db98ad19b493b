import WasmKit

/// The WASI preview 1 functions a handler may import (module `wasi_snapshot_preview1`), with their
/// signatures, and what the server gives each one (docs/handlers.md): stdin, stdout and stderr;
/// arguments and environment; real clocks, random bytes and sleeping in `poll_oneoff`; `proc_exit`.
/// There is no file system and there are no sockets: every other call answers the errno a process
/// without open files or sockets would get, so a libc's probing (preopens, `isatty`) works.
enum WasiPreview1 {
    static let moduleName = "wasi_snapshot_preview1"

    /// How a call the server does not serve answers.
    enum Unserved {
        /// Its first argument is a descriptor: EBADF, or ENOTSUP for stdin, stdout and stderr.
        case descriptor
        /// A socket call: EBADF, or ENOTSOCK for stdin, stdout and stderr.
        case socket
        /// A path call: EBADF, since no directory is open.
        case path
        /// ENOSYS.
        case unsupported
    }

    enum Serving {
        case served
        case unserved(Unserved)
    }

    struct Signature {
        let parameters: [ValueType]
        let results: [ValueType]
        let serving: Serving
    }

    private static func sig(_ parameters: [ValueType], _ serving: Serving = .served, returns: Bool = true) -> Signature {
        Signature(parameters: parameters, results: returns ? [.i32] : [], serving: serving)
    }

    /// Every function of the preview 1 snapshot.
    static let functions: [String: Signature] = [
        "args_get": sig([.i32, .i32]),
        "args_sizes_get": sig([.i32, .i32]),
        "environ_get": sig([.i32, .i32]),
        "environ_sizes_get": sig([.i32, .i32]),
        "clock_res_get": sig([.i32, .i32]),
        "clock_time_get": sig([.i32, .i64, .i32]),
        "fd_advise": sig([.i32, .i64, .i64, .i32], .unserved(.descriptor)),
        "fd_allocate": sig([.i32, .i64, .i64], .unserved(.descriptor)),
        "fd_close": sig([.i32]),
        "fd_datasync": sig([.i32]),
        "fd_fdstat_get": sig([.i32, .i32]),
        "fd_fdstat_set_flags": sig([.i32, .i32], .unserved(.descriptor)),
        "fd_fdstat_set_rights": sig([.i32, .i64, .i64], .unserved(.descriptor)),
        "fd_filestat_get": sig([.i32, .i32]),
        "fd_filestat_set_size": sig([.i32, .i64], .unserved(.descriptor)),
        "fd_filestat_set_times": sig([.i32, .i64, .i64, .i32], .unserved(.descriptor)),
        "fd_pread": sig([.i32, .i32, .i32, .i64, .i32], .unserved(.descriptor)),
        "fd_prestat_get": sig([.i32, .i32], .unserved(.path)),
        "fd_prestat_dir_name": sig([.i32, .i32, .i32], .unserved(.path)),
        "fd_pwrite": sig([.i32, .i32, .i32, .i64, .i32], .unserved(.descriptor)),
        "fd_read": sig([.i32, .i32, .i32, .i32]),
        "fd_readdir": sig([.i32, .i32, .i32, .i64, .i32], .unserved(.descriptor)),
        "fd_renumber": sig([.i32, .i32], .unserved(.descriptor)),
        "fd_seek": sig([.i32, .i64, .i32, .i32]),
        "fd_sync": sig([.i32]),
        "fd_tell": sig([.i32, .i32]),
        "fd_write": sig([.i32, .i32, .i32, .i32]),
        "path_create_directory": sig([.i32, .i32, .i32], .unserved(.path)),
        "path_filestat_get": sig([.i32, .i32, .i32, .i32, .i32], .unserved(.path)),
        "path_filestat_set_times": sig([.i32, .i32, .i32, .i32, .i64, .i64, .i32], .unserved(.path)),
        "path_link": sig([.i32, .i32, .i32, .i32, .i32, .i32, .i32], .unserved(.path)),
        "path_open": sig([.i32, .i32, .i32, .i32, .i32, .i64, .i64, .i32, .i32], .unserved(.path)),
        "path_readlink": sig([.i32, .i32, .i32, .i32, .i32, .i32], .unserved(.path)),
        "path_remove_directory": sig([.i32, .i32, .i32], .unserved(.path)),
        "path_rename": sig([.i32, .i32, .i32, .i32, .i32, .i32], .unserved(.path)),
        "path_symlink": sig([.i32, .i32, .i32, .i32, .i32], .unserved(.path)),
        "path_unlink_file": sig([.i32, .i32, .i32], .unserved(.path)),
        "poll_oneoff": sig([.i32, .i32, .i32, .i32]),
        "proc_exit": sig([.i32], returns: false),
        "proc_raise": sig([.i32], .unserved(.unsupported)),
        "random_get": sig([.i32, .i32]),
        "sched_yield": sig([]),
        "sock_accept": sig([.i32, .i32, .i32], .unserved(.socket)),
        "sock_recv": sig([.i32, .i32, .i32, .i32, .i32, .i32], .unserved(.socket)),
        "sock_send": sig([.i32, .i32, .i32, .i32, .i32], .unserved(.socket)),
        "sock_shutdown": sig([.i32, .i32], .unserved(.socket)),
    ]

    // MARK: errno values of the snapshot

    static let success: UInt32 = 0
    static let badDescriptor: UInt32 = 8
    static let invalid: UInt32 = 28
    static let unsupported: UInt32 = 52
    static let notSocket: UInt32 = 57
    static let notSupported: UInt32 = 58
    static let invalidSeek: UInt32 = 70

    /// The import object of one run: each function the module imports, bound to `run`.
    static func imports(of module: Module, store: Store, run: WasiRun) -> Imports {
        var imports = Imports()
        for entry in module.imports where entry.module == moduleName {
            guard case .function = entry.descriptor, let signature = functions[entry.name] else { continue }
            let name = entry.name
            imports.define(module: moduleName, name: name, Function(
                store: store, parameters: signature.parameters, results: signature.results
            ) { caller, arguments, results in
                try run.checkInterrupt()
                let errno: UInt32? = switch signature.serving {
                case .served: try serve(name, arguments, caller: caller, run: run)
                case .unserved(let kind): unserved(kind, arguments)
                }
                if let errno, results.count == 1 { results[0] = .i32(errno) }
            })
        }
        return imports
    }

    private static func unserved(_ kind: Unserved, _ arguments: UnsafeBufferPointer<Value>) -> UInt32 {
        let isStdio = arguments.first.map { $0.i32 <= 2 } ?? false
        return switch kind {
        case .descriptor: isStdio ? notSupported : badDescriptor
        case .socket: isStdio ? notSocket : badDescriptor
        case .path: badDescriptor
        case .unsupported: unsupported
        }
    }

    /// Serves one call; nil for `proc_exit`, which never returns.
    private static func serve(_ name: String, _ a: UnsafeBufferPointer<Value>, caller: borrowing Caller, run: WasiRun) throws -> UInt32? {
        switch name {
        case "proc_exit":
            throw WasiExit(code: a[0].i32)
        case "sched_yield":
            return success
        case "fd_close", "fd_sync", "fd_datasync":
            return a[0].i32 <= 2 ? success : badDescriptor
        case "fd_seek", "fd_tell":
            return a[0].i32 <= 2 ? invalidSeek : badDescriptor
        case "clock_res_get":
            guard let resolution = WasiClock.resolution(of: a[0].i32) else { return invalid }
            try run.memory(caller, name).store(resolution, at: a[1].i32)
            return success
        case "clock_time_get":
            guard let now = WasiClock.now(a[0].i32) else { return invalid }
            try run.memory(caller, name).store(now, at: a[2].i32)
            return success
        case "random_get":
            var generator = SystemRandomNumberGenerator()
            try run.memory(caller, name).withMutableBytes(a[0].i32, count: a[1].i32) { buffer in
                var index = 0
                while index < buffer.count {
                    let word = generator.next()
                    withUnsafeBytes(of: word) { bytes in
                        for byte in bytes where index < buffer.count {
                            buffer[index] = byte
                            index += 1
                        }
                    }
                }
            }
            return success
        case "args_sizes_get":
            return try sizes(run.arguments, counts: a[0].i32, bytes: a[1].i32, memory: run.memory(caller, name))
        case "args_get":
            return try strings(run.arguments, pointers: a[0].i32, buffer: a[1].i32, memory: run.memory(caller, name))
        case "environ_sizes_get":
            return try sizes(run.environment, counts: a[0].i32, bytes: a[1].i32, memory: run.memory(caller, name))
        case "environ_get":
            return try strings(run.environment, pointers: a[0].i32, buffer: a[1].i32, memory: run.memory(caller, name))
        case "fd_fdstat_get":
            let fd = a[0].i32
            guard fd <= 2 else { return badDescriptor }
            let memory = try run.memory(caller, name)
            let pointer = a[1].i32
            try memory.zero(pointer, count: 24)
            try memory.store(UInt8(2), at: pointer) // a character device
            // fd_read (bit 1) or fd_write (bit 6), and poll_fd_readwrite (bit 27).
            let rights: UInt64 = (fd == 0 ? 1 << 1 : 1 << 6) | 1 << 27
            try memory.store(rights, at: try GuestMemory.advance(pointer, by: 8))
            return success
        case "fd_filestat_get":
            guard a[0].i32 <= 2 else { return badDescriptor }
            let memory = try run.memory(caller, name)
            try memory.zero(a[1].i32, count: 64)
            try memory.store(UInt8(2), at: try GuestMemory.advance(a[1].i32, by: 16))
            return success
        case "fd_read":
            guard a[0].i32 == 0 else { return badDescriptor }
            let memory = try run.memory(caller, name)
            var total: UInt32 = 0
            for vector in try memory.iovecs(a[1].i32, count: a[2].i32) {
                let count = try run.readStdin(into: memory, at: vector.pointer, count: vector.length)
                total += count
                if count < vector.length { break }
            }
            try memory.store(total, at: a[3].i32)
            return success
        case "fd_write":
            let fd = a[0].i32
            guard fd == 1 || fd == 2 else { return badDescriptor }
            let memory = try run.memory(caller, name)
            var total: UInt32 = 0
            for vector in try memory.iovecs(a[1].i32, count: a[2].i32) where vector.length > 0 {
                try memory.withBytes(vector.pointer, count: vector.length) { bytes in
                    if fd == 1 { try run.writeStdout(bytes) } else { run.writeStderr(bytes) }
                }
                total &+= vector.length
            }
            try memory.store(total, at: a[3].i32)
            return success
        case "poll_oneoff":
            return try WasiPoll.poll(subscriptions: a[0].i32, events: a[1].i32, count: a[2].i32, eventCount: a[3].i32,
                                     memory: run.memory(caller, name), run: run)
        default:
            return unsupported
        }
    }

    private static func sizes(_ values: [[UInt8]], counts: UInt32, bytes: UInt32, memory: GuestMemory) throws -> UInt32 {
        try memory.store(UInt32(values.count), at: counts)
        try memory.store(UInt32(values.reduce(0) { $0 + $1.count + 1 }), at: bytes)
        return success
    }

    /// `values` NUL-terminated one after another at `buffer`, with a pointer to each at `pointers`.
    private static func strings(_ values: [[UInt8]], pointers: UInt32, buffer: UInt32, memory: GuestMemory) throws -> UInt32 {
        var offset = buffer
        for (index, value) in values.enumerated() {
            try memory.store(offset, at: try GuestMemory.advance(pointers, by: UInt64(index) * 4))
            try memory.write(value + [0], at: offset)
            offset = try GuestMemory.advance(offset, by: UInt64(value.count + 1))
        }
        return success
    }
}

/// `proc_exit`: the guest ends with this status.
struct WasiExit: Error {
    let code: UInt32
}
