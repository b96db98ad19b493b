import Foundation
@testable import HotImpl
import Testing

@Suite("The Date header")
struct HTTPDateTests {
    @Test("IMF-fixdate (RFC 9110): day and month names, two-digit fields, GMT")
    func format() {
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
        #expect(HTTPDate.format(1_796_163_247) == "Tue, 01 Dec 2026 22:14:07 GMT")
    }

    @Test("now: this second's date (made once a second)")
    func now() {
        let before = time(nil)
        let text = HTTPDate.now()
        let after = time(nil)
        #expect((before...after).map(HTTPDate.format).contains(text), "\(text)")
    }
}
