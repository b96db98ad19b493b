import AsyncHTTPClient
import Crypto
import Foundation
import HotImpl
import NIOCore

/// A moto S3 server (PyPI `moto[server]`) run as a child process on 127.0.0.1, for the S3 tests.
///
/// Start-up: `python3 -c <launcher>` starts moto's `ThreadedMotoServer` on port 0 (the kernel picks a free
/// port, no race), prints the port on stdout and serves until its stdin reaches EOF, so it also goes away if
/// the test process dies. We then poll `GET /moto-api/` until it answers (bounded deadline).
///
/// Signatures: moto checks none by default. Here it runs with auth on: while auth is still off we create an
/// IAM user, its access key and an allow-all policy, then `POST /moto-api/reset-auth 0` turns checking on,
/// so every later request must carry a valid SigV4 signature of that key (moto recomputes it with botocore).
final class MotoServer: Sendable {
    let port: Int
    let accessKeyId: String
    let secretAccessKey: String
    let region = "us-east-1"
    var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    private let process: Process
    private let stdin: Pipe
    private let logFile: URL

    /// Env var that, when set (to anything non-empty), skips the S3 suite with its value as reason.
    static let skipVariable = "HOT_SKIP_S3_TESTS"
    static var skipReason: String? {
        guard let value = ProcessInfo.processInfo.environment[skipVariable], !value.isEmpty else { return nil }
        return value
    }

    static let launcher = """
        import sys
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        print(server.get_host_and_port()[1], flush=True)
        sys.stdin.read()
        server.stop()
        """

    private init(process: Process, stdin: Pipe, logFile: URL, port: Int, accessKeyId: String, secretAccessKey: String) {
        self.process = process
        self.stdin = stdin
        self.logFile = logFile
        self.port = port
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
    }

    /// Runs `body` with a fresh moto (signature checking on, `bucket` created), then stops it.
    static func with<T>(bucket: String, _ body: (MotoServer) async throws -> T) async throws -> T {
        let moto = try await start()
        do {
            try await moto.createBucket(bucket)
            let result = try await body(moto)
            moto.stop()
            return result
        } catch {
            moto.stop()
            throw error
        }
    }

    static func start(startupTimeout: Duration = .seconds(60)) async throws -> MotoServer {
        let logFile = FileManager.default.temporaryDirectory.appendingPathComponent("moto-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        defer { try? log.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", launcher]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = log
        do {
            try process.run()
        } catch {
            throw MotoError("cannot run python3: \(error)")
        }

        // Deadline for the whole start-up: past it the child is killed, which also ends the blocking read below.
        let watchdog = Task {
            try await Task.sleep(for: startupTimeout)
            if process.isRunning { process.terminate() }
        }
        defer { watchdog.cancel() }

        func failure(_ reason: String) -> MotoError {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            let output = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            return MotoError("\(reason) (is PyPI's moto[server] installed? `python3 -m pip install 'moto[server]'`); log: \(output.suffix(2000))")
        }

        let reader = stdout.fileHandleForReading
        let line: String = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var data = Data()
                while !data.contains(UInt8(ascii: "\n")) {
                    let chunk = reader.availableData
                    if chunk.isEmpty { break }
                    data.append(chunk)
                }
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }
        }
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)), port > 0 else {
            throw failure("moto did not report its port")
        }

        // Readiness: any HTTP answer from moto's own API.
        let deadline = ContinuousClock.now + startupTimeout
        var ready = false
        while !ready, ContinuousClock.now < deadline, process.isRunning {
            var probe = HTTPClientRequest(url: "http://127.0.0.1:\(port)/moto-api/")
            probe.method = .GET
            if let response = try? await HTTPClient.shared.execute(probe, timeout: .seconds(2)) {
                _ = try? await response.body.collect(upTo: 1 << 20)
                ready = true
            } else {
                await Task.yield()
            }
        }
        guard ready else { throw failure("moto on port \(port) did not answer HTTP in time") }

        do {
            let (keyId, secret) = try await enableAuthentication(port: port)
            return MotoServer(
                process: process,
                stdin: stdin,
                logFile: logFile,
                port: port,
                accessKeyId: keyId,
                secretAccessKey: secret
            )
        } catch {
            throw failure("cannot set up moto's IAM: \(error)")
        }
    }

    /// Closes moto's stdin (it shuts down), kills it if still running, and waits for it.
    func stop() {
        try? stdin.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: logFile)
    }

    /// Creates `bucket` with a PUT signed by the moto user's key.
    func createBucket(_ bucket: String) async throws {
        let signer = SigV4Signer(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, region: region)
        let response = try await Self.send(
            signer: signer,
            port: port,
            method: "PUT",
            path: "/\(bucket)",
            body: ""
        )
        guard response.status == 200 else {
            throw MotoError("CreateBucket \(bucket): \(response.status) \(response.text)")
        }
    }

    /// While moto checks nothing: IAM user + access key + allow-all policy; then turn checking on.
    private static func enableAuthentication(port: Int) async throws -> (String, String) {
        // Unchecked requests still need a SigV4 credential scope: moto routes on its service name.
        let iam = SigV4Signer(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "unused", region: "us-east-1", service: "iam")
        func call(_ parameters: [(String, String)]) async throws -> String {
            let form = (parameters + [("Version", "2010-05-08")])
                .map { "\(SigV4Signer.uriEncode($0.0))=\(SigV4Signer.uriEncode($0.1))" }
                .joined(separator: "&")
            let response = try await send(
                signer: iam,
                port: port,
                method: "POST",
                path: "/",
                headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: form
            )
            guard response.status == 200 else {
                throw MotoError("IAM \(parameters[0].1): \(response.status) \(response.text)")
            }
            return response.text
        }
        let user = "hot-s3-tests"
        _ = try await call([("Action", "CreateUser"), ("UserName", user)])
        let created = try await call([("Action", "CreateAccessKey"), ("UserName", user)])
        guard let keyId = element("AccessKeyId", in: created), let secret = element("SecretAccessKey", in: created) else {
            throw MotoError("CreateAccessKey answered no key: \(created)")
        }
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        _ = try await call([("Action", "PutUserPolicy"), ("UserName", user), ("PolicyName", "all"), ("PolicyDocument", policy)])

        var reset = HTTPClientRequest(url: "http://127.0.0.1:\(port)/moto-api/reset-auth")
        reset.method = .POST
        reset.body = .bytes(ByteBuffer(string: "0"))
        let response = try await HTTPClient.shared.execute(reset, timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard response.status == .ok else { throw MotoError("reset-auth: \(response.status) \(text)") }
        return (keyId, secret)
    }

    struct Reply {
        var status: UInt
        var text: String
    }

    /// Sends one signed request to moto and reads the whole (small) answer.
    static func send(
        signer: SigV4Signer,
        port: Int,
        method: String,
        path: String,
        headers: [(String, String)] = [],
        body: String
    ) async throws -> Reply {
        let payload = Array(body.utf8)
        let signed = signer.sign(
            method: method,
            host: "127.0.0.1:\(port)",
            path: path,
            headers: headers,
            payloadHash: SigV4Signer.hex(Array(SHA256.hash(data: payload))),
            date: Date()
        )
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(SigV4Signer.canonicalURI(path))")
        request.method = .init(rawValue: method)
        for (name, value) in signed.headers { request.headers.add(name: name, value: value) }
        if !payload.isEmpty { request.body = .bytes(ByteBuffer(bytes: payload)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return Reply(status: response.status.code, text: text)
    }

    /// The text of the first `<name>…</name>` element.
    static func element(_ name: String, in xml: String) -> String? {
        guard let start = xml.range(of: "<\(name)>"),
            let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex)
        else { return nil }
        return String(xml[start.upperBound..<end.lowerBound])
    }
}
