@testable import HotImpl
import Testing

@Suite("SQLScript")
struct SQLScriptTests {
    @Test("top-level semicolons separate statements, which come back trimmed")
    func splitsAtSemicolons() {
        #expect(SQLScript.statements("SELECT 1;\n  SELECT 2 ;\nSELECT 3") == ["SELECT 1", "SELECT 2", "SELECT 3"])
    }

    @Test("empty chunks between semicolons are dropped")
    func dropsEmpty() {
        #expect(SQLScript.statements(";; SELECT 1;;\n;") == ["SELECT 1"])
        #expect(SQLScript.statements("") == [])
        #expect(SQLScript.statements("  \n\t ") == [])
    }

    @Test("semicolons inside single-quoted strings stay in the statement, doubled quotes included")
    func singleQuotes() {
        let script = "INSERT INTO t VALUES ('a;b'); INSERT INTO t VALUES ('it''s; fine'); SELECT 3"
        #expect(SQLScript.statements(script) == [
            "INSERT INTO t VALUES ('a;b')",
            "INSERT INTO t VALUES ('it''s; fine')",
            "SELECT 3",
        ])
    }

    @Test("semicolons inside double-quoted identifiers stay in the statement")
    func doubleQuotes() {
        #expect(SQLScript.statements(#"CREATE TABLE "we;ird" (x int); SELECT "a""; b" FROM t"#) == [
            #"CREATE TABLE "we;ird" (x int)"#,
            #"SELECT "a""; b" FROM t"#,
        ])
    }

    @Test("a $$ body keeps its semicolons")
    func dollarQuoted() {
        let function = """
            CREATE FUNCTION touch() RETURNS trigger AS $$
            BEGIN
                NEW.updated_at := now();
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql
            """
        #expect(SQLScript.statements(function + ";\nSELECT 1;") == [function, "SELECT 1"])
    }

    @Test("a tagged $tag$ body ends only at the same tag, not at $$ or another tag")
    func taggedDollarQuoted() {
        let statement = "DO $body$ BEGIN PERFORM '$$;'; RAISE NOTICE $x$;$x$; END $body$"
        #expect(SQLScript.statements(statement + "; SELECT 2") == [statement, "SELECT 2"])
    }

    @Test("quotes inside a dollar-quoted body do not open strings")
    func quoteInDollarBody() {
        let statement = "SELECT $$it's; here$$"
        #expect(SQLScript.statements(statement + "; SELECT 'x'") == [statement, "SELECT 'x'"])
    }

    @Test("a -- comment's semicolons and quotes are ignored")
    func lineComments() {
        let statements = SQLScript.statements("""
            -- the first table; don't split here
            CREATE TABLE a (x int); -- trailing; comment
            CREATE TABLE b (y int)
            """)
        #expect(statements.count == 2)
        #expect(statements.first?.hasSuffix("CREATE TABLE a (x int)") == true)
        #expect(statements.last?.hasSuffix("CREATE TABLE b (y int)") == true)
    }

    @Test("chunks holding only comments are dropped")
    func dropsCommentOnlyChunks() {
        #expect(SQLScript.statements("SELECT 1;\n-- done\n-- really done\n") == ["SELECT 1"])
        #expect(SQLScript.statements("-- header\n;\nSELECT 1") == ["SELECT 1"])
        #expect(SQLScript.statements("/* nothing here */; SELECT 1") == ["SELECT 1"])
    }

    @Test("a /* */ comment's semicolons and quotes are ignored, nested comments too")
    func blockComments() {
        #expect(SQLScript.statements("SELECT /* a; b */ 1; SELECT 2") == ["SELECT /* a; b */ 1", "SELECT 2"])
        #expect(SQLScript.statements("SELECT /* don't */ 1; SELECT 2") == ["SELECT /* don't */ 1", "SELECT 2"])
        #expect(SQLScript.statements("SELECT /* outer /* inner; */ still; */ 1; SELECT 2") == [
            "SELECT /* outer /* inner; */ still; */ 1", "SELECT 2",
        ])
    }

    @Test("$ that does not open a dollar quote (a positional parameter) is ordinary text")
    func lonePlaceholder() {
        #expect(SQLScript.statements("SELECT $1; SELECT 2") == ["SELECT $1", "SELECT 2"])
    }

    @Test("the bundled migrations split into statements that each hold SQL")
    func bundledMigrations() throws {
        let migrations = try Migrator.bundled()
        #expect(!migrations.isEmpty)
        #expect(migrations.map(\.version) == migrations.map(\.version).sorted())
        for migration in migrations {
            let statements = SQLScript.statements(migration.sql)
            #expect(!statements.isEmpty, "\(migration.name)")
            for statement in statements {
                #expect(!statement.isEmpty)
                #expect(!statement.hasSuffix(";"))
            }
        }
    }
}
