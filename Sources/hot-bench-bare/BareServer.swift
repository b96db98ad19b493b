// The ceiling `scripts/bench` measures `GET /status` against: a bare Hummingbird server answering
// `GET /status` with the same JSON document hot-server does (the one given as the first argument,
// decoded once and encoded again on every request, as hot-server encodes its status), with none of
// hot-server's middleware (request id, access log, error envelope, method check) or generated routing.
//   hot-bench-bare '<the JSON of hot-server's GET /status>' [port]   (port 0: a free one, printed)
import Foundation
import Hummingbird
import Logging

struct Status: Codable {
    var status: String
    var service: String
    var version: String
    var gitSha: String
    var startTime: String

    enum CodingKeys: String, CodingKey {
        case status, service, version
        case gitSha = "git_sha"
        case startTime = "start_time"
    }
}

@main
enum BareServer {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2, let status = try? JSONDecoder().decode(Status.self, from: Data(arguments[1].utf8)) else {
            FileHandle.standardError.write(Data("usage: hot-bench-bare '<status JSON>' [port]\n".utf8))
            exit(2)
        }
        let port = arguments.count >= 3 ? Int(arguments[2]) ?? 0 : 0
        let encoder: JSONEncoder = {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return encoder
        }()

        let router = Router()
        router.get("/status") { _, _ -> Response in
            let body = try encoder.encode(status)
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        var logger = Logger(label: "hot-bench-bare")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                FileHandle.standardError.write(Data("hot-bench-bare listening on http://127.0.0.1:\(channel.localAddress?.port ?? port)\n".utf8))
            },
            logger: logger)
        try await app.runService()
    }
}
