// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "hot-server",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hot-server", targets: ["hot-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // ExternalLoading (the default trait) costs 5 minutes and 8 GiB of build; the generator needs none of it.
        .package(url: "https://github.com/mattpolzin/OpenAPIKit.git", from: "6.4.0", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // Already in the graph through Hummingbird; named for the file storage's non-blocking reads.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // Already in the graph through Hummingbird; named for the HTTP parts of feed connections.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // GET /metrics in the Prometheus text format; swift-metrics is already in the graph.
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        // The managed PostgreSQL cluster's child processes; without the SubprocessFoundation trait
        // (its Data conveniences), which nothing here uses.
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2", traits: []),
        // Already in the graph through swift-subprocess and swift-nio; named for FilePath and FileDescriptor.
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        // The embedded WebAssembly runtime (docs/handlers.md). Pinned exactly: its API changes between
        // minor versions, and the store's memory limiter is reached through an SPI (WasmRuntime.swift).
        .package(url: "https://github.com/swiftwasm/WasmKit.git", exact: "0.4.2"),
        // OpenTelemetry traces (docs/configuration.md, "Tracing"): the Tracing API (its Instrumentation module holds
        // the context that replaced swift-service-context's), and swift-otel as its OTLP/HTTP exporter. Only the OTLPHTTP trait: the default OTLPGRPC trait would
        // build grpc-swift and its HTTP/2 stack.
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // The generator: spec/openapi.yaml in, Swift source out (parse → translate → render).
        .executableTarget(
            name: "HotCodegen",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
            ]
        ),
        .plugin(
            name: "CodegenPlugin",
            capability: .buildTool(),
            dependencies: ["HotCodegen"]
        ),
        // Hand-written support that generated code builds on: JSON values, the envelope, errors, validation primitives.
        .target(
            name: "HotRuntime",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Build uploads: multipart bodies parsed as they arrive, file parts spooled to disk.
        .target(
            name: "HotUploads",
            dependencies: [
                "HotRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                // SHA-256 of uploads as they stream in.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Everything in here but Namespace.swift is written by CodegenPlugin at build time.
        .target(
            name: "Generated",
            dependencies: [
                "HotRuntime",
                // The routes of multipart operations.
                "HotUploads",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            plugins: ["CodegenPlugin"]
        ),
        // The managed local PostgreSQL cluster (initdb and postgres as child processes): used when
        // HOT_DATABASE_URL is unset, and by the tests for throwaway clusters.
        .target(
            name: "HotLocalCluster",
            dependencies: [
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The embedded WebAssembly runtime: WASI preview 1 command modules run on WasmKit, on threads of
        // their own, under fuel, memory, time and output limits (docs/handlers.md).
        .target(
            name: "HotWasm",
            dependencies: [
                .product(name: "WasmKit", package: "WasmKit"),
                // `.wat` entries of a bundle are compiled at upload.
                .product(name: "WAT", package: "WasmKit"),
                // NIOThreadPool: the threads guests run on.
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "HotImpl",
            dependencies: [
                "Generated",
                "HotWasm",
                "HotRuntime",
                "HotUploads",
                "HotLocalCluster",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // ConnectionPoolError: the pool's own errors (the database away) are told apart by it.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                // UDP for the DNS lookups that check custom domains.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                // Feed connections (FeedConnection.swift) are served from the channel pipeline.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ],
            resources: [.copy("Migrations")]
        ),
        .executableTarget(
            name: "hot-server",
            dependencies: [
                "HotImpl",
                "HotRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                // The tracing exporter's service, handed to the process's group.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // scripts/bench's ceiling for GET /status: the same JSON from a bare Hummingbird endpoint.
        .executableTarget(
            name: "hot-bench-bare",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // scripts/bench-wasm's figures of the embedded runtime itself (bench/wasm/*.wat through WasmSandbox).
        .executableTarget(
            name: "hot-bench-wasm",
            dependencies: ["HotWasm"]
        ),
        // What both test targets build bundles and fixtures with.
        .target(
            name: "HotTestSupport",
            dependencies: [
                "HotImpl",
                "HotRuntime",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/HotTestSupport"
        ),
        .testTarget(
            name: "HotCodegenTests",
            dependencies: [
                "HotCodegen",
                // SpecDocumentationTests reads spec/openapi.yaml as plain YAML.
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(
            name: "Conformance",
            dependencies: [
                "HotImpl",
                // The embedded runtime of the test server, and its handler tests.
                "HotWasm",
                "HotLocalCluster",
                "HotTestSupport",
                "Generated",
                "HotRuntime",
                "HotUploads",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // AuthorizationTests make a request context on a test channel.
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "HotWasmTests",
            dependencies: [
                "HotWasm",
                // WatHandler: the WebAssembly text of test modules.
                "HotTestSupport",
                .product(name: "WAT", package: "WasmKit"),
            ]
        ),
        .testTarget(
            name: "HotImplTests",
            dependencies: [
                "HotImpl",
                "HotWasm",
                // LocalClusterTests.
                "HotLocalCluster",
                "HotTestSupport",
                "HotRuntime",
                // MultipartUploadTests.
                "HotUploads",
                "Generated",
                // DatabaseURL's tests read the PostgresClient.Configuration it builds.
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ]
)
