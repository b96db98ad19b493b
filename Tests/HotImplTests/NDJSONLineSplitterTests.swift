@testable import HotImpl
import Testing

@Suite struct NDJSONLineSplitterTests {
    func text(_ lines: [[UInt8]]) -> [String] { lines.map { String(decoding: $0, as: UTF8.self) } }

    @Test func severalLinesInOneChunkWithCRLFAndBlanks() throws {
        var splitter = NDJSONLineSplitter(maxLineBytes: 100)
        let lines = try splitter.append(Array("a\r\n\nb\n \t\r\nc".utf8))
        #expect(text(lines) == ["a", "b"])
        #expect(try splitter.finish().map { String(decoding: $0, as: UTF8.self) } == "c")
        #expect(try splitter.finish() == nil)
    }

    @Test func byteByByteGivesTheSameLines() throws {
        let input = Array("{\"x\":1}\r\n{\"y\":2}\n\n{\"z\":3}\n".utf8)
        var splitter = NDJSONLineSplitter(maxLineBytes: 100)
        var lines: [[UInt8]] = []
        for byte in input { lines += try splitter.append([byte]) }
        #expect(text(lines) == ["{\"x\":1}", "{\"y\":2}", "{\"z\":3}"])
        #expect(try splitter.finish() == nil)
    }

    @Test func crlfSplitBetweenChunks() throws {
        var splitter = NDJSONLineSplitter(maxLineBytes: 3)
        #expect(try splitter.append(Array("abc\r".utf8)).isEmpty)  // "\r" may still end a CRLF: not over the cap yet
        #expect(text(try splitter.append(Array("\nde".utf8))) == ["abc"])
    }

    @Test func lineAtTheCapPassesAndOverItFails() throws {
        var splitter = NDJSONLineSplitter(maxLineBytes: 4)
        #expect(text(try splitter.append(Array("abcd\n".utf8))) == ["abcd"])
        #expect(throws: NDJSONLineSplitter.LineTooLong(maxLineBytes: 4)) { try splitter.append(Array("abcde\n".utf8)) }

        // Raised while the line is still incomplete, so an endless line never piles up.
        var pending = NDJSONLineSplitter(maxLineBytes: 4)
        #expect(try pending.append(Array("abc".utf8)).isEmpty)
        #expect(throws: NDJSONLineSplitter.LineTooLong(maxLineBytes: 4)) { try pending.append(Array("de".utf8)) }

        var unterminated = NDJSONLineSplitter(maxLineBytes: 4)
        #expect(try unterminated.append(Array("abcd\r".utf8)).isEmpty)
        #expect(throws: NDJSONLineSplitter.LineTooLong(maxLineBytes: 4)) { try unterminated.append(Array("x".utf8)) }
    }
}
