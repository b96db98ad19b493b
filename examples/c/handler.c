/*
 * handler.c: a hot-server handler in C, built for WASI preview 1 (wasm32-wasi).
 *
 * What the server gives the module:
 *   argv[0]  the function's name: the part of `fn` after its last '/'
 *            (`on-order` for "::shop::orders/on-order")
 *   env      HOT_RUN_ID, HOT_STREAM_ID, HOT_FN (the whole "::ns::path/var")
 *   stdin    one JSON object describing the run, read to EOF:
 *            {"run_id", "run_type", ..., "handler": {"ns", "var", "meta"},
 *             "event": {"event_id", "event_type", "event_data", "event_time"} or null,
 *             "schedule": {"schedule_id", "cron"} or null, "context": {...}}
 *
 * What it answers, on stdout, one JSON object a line (NDJSON):
 *   {"type":"data","data_type":"...","payload":...}   streamed live, any number of them
 *   {"type":"result","result":...}                    the run succeeded
 *   {"type":"error","error":...}                      the run failed
 * then exits 0. Debug output goes to stderr, never stdout.
 *
 * This handler sends one `data` line per step (bytes read, then the event or
 * schedule it found) and a `result` line
 *   {"fn":"<argv[0]>","event_type":"...","bytes_in":N,"event_data_bytes":M}
 * or, when stdin is not what it expects, an `error` line.
 *
 * JSON is handled by the ~150 lines below: a checker that walks a value without
 * building anything, and a lookup of one member of an object. Values found are
 * spans of the input text; since the input was checked, a span is itself valid
 * JSON and can be copied into the output as it is. Swap in a real JSON library
 * when a handler needs more.
 *
 * Build: ../build (or see the clang line there).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- output */

/* Ends the current NDJSON line and flushes it, so the server sees it now.
 * stdout to a pipe is fully buffered: without the flush a `data` line would
 * only leave when the module exits. */
static void end_line(void) {
    fputc('\n', stdout);
    fflush(stdout);
}

/* Writes `s` (n bytes) as a JSON string, quotes included. */
static void put_json_string(const char *s, size_t n) {
    fputc('"', stdout);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':  fputs("\\\"", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        default:
            if (c < 0x20) printf("\\u%04x", c);
            else fputc(c, stdout);
        }
    }
    fputc('"', stdout);
}

/* Fails the run: one `error` line {"message": ..., "at": offset or null},
 * then exit status 0 (the error line already says the run failed). */
static void fail(const char *message, long at) {
    fputs("{\"type\":\"error\",\"error\":{\"message\":", stdout);
    put_json_string(message, strlen(message));
    if (at >= 0) printf(",\"at\":%ld}}", at);
    else fputs(",\"at\":null}}", stdout);
    end_line();
    exit(0);
}

/* ----------------------------------------------------------------- input */

/* Reads all of stdin into a NUL-terminated buffer; its length goes to *len. */
static char *read_stdin(size_t *len) {
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) fail("out of memory", -1);
    for (;;) {
        if (cap - n < 2) {
            cap *= 2;
            char *bigger = realloc(buf, cap);
            if (!bigger) fail("out of memory", -1);
            buf = bigger;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, stdin);
        n += got;
        if (got == 0) break;
    }
    if (ferror(stdin)) fail("could not read stdin", -1);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* ------------------------------------------------------------------ JSON */

/* A piece of the input text. */
typedef struct {
    const char *p;
    size_t n;
} span;

/* Where the text ends; set once stdin is read. */
static const char *text_end;

static const char *skip_ws(const char *p) {
    while (p < text_end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

static int is_digit(const char *p) { return p < text_end && *p >= '0' && *p <= '9'; }

static int is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Checks one JSON string starting at `p` (on its opening quote); returns the
 * position after its closing quote, or NULL if it is not a valid string. */
static const char *check_string(const char *p) {
    if (p >= text_end || *p != '"') return NULL;
    for (p++; p < text_end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p + 1;
        if (c < 0x20) return NULL; /* raw control characters are not allowed */
        if (c == '\\') {
            p++;
            if (p >= text_end) return NULL;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (p + i >= text_end || !is_hex(p[i])) return NULL;
                p += 4;
            } else if (!strchr("\"\\/bfnrt", *p)) {
                return NULL;
            }
        }
    }
    return NULL; /* no closing quote */
}

/* Checks a number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *check_number(const char *p) {
    if (p < text_end && *p == '-') p++;
    if (!is_digit(p)) return NULL;
    if (*p == '0') p++;
    else while (is_digit(p)) p++;
    if (p < text_end && *p == '.') {
        p++;
        if (!is_digit(p)) return NULL;
        while (is_digit(p)) p++;
    }
    if (p < text_end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < text_end && (*p == '+' || *p == '-')) p++;
        if (!is_digit(p)) return NULL;
        while (is_digit(p)) p++;
    }
    return p;
}

static const char *check_word(const char *p, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(text_end - p) < n || memcmp(p, word, n) != 0) return NULL;
    return p + n;
}

/* Nesting limit: keeps a hostile input from exhausting the (small) wasm stack. */
#define MAX_DEPTH 64

/* Checks one JSON value at `p` (no leading whitespace); returns the position
 * after it, or NULL if it is not valid JSON. */
static const char *check_value(const char *p, int depth) {
    if (p >= text_end || depth > MAX_DEPTH) return NULL;
    switch (*p) {
    case '"': return check_string(p);
    case 't': return check_word(p, "true");
    case 'f': return check_word(p, "false");
    case 'n': return check_word(p, "null");
    case '[':
    case '{': {
        char close = (*p == '[') ? ']' : '}';
        int is_object = (*p == '{');
        p = skip_ws(p + 1);
        if (p < text_end && *p == close) return p + 1; /* empty */
        for (;;) {
            if (is_object) { /* "key" : */
                p = check_string(p);
                if (!p) return NULL;
                p = skip_ws(p);
                if (p >= text_end || *p != ':') return NULL;
                p = skip_ws(p + 1);
            }
            p = check_value(p, depth + 1);
            if (!p) return NULL;
            p = skip_ws(p);
            if (p >= text_end) return NULL;
            if (*p == close) return p + 1;
            if (*p != ',') return NULL;
            p = skip_ws(p + 1);
        }
    }
    default: return check_number(p);
    }
}

/* Finds member `key` of the (already checked) object `obj`; returns its value,
 * or a span with p == NULL if the object has no such member or `obj` is not an
 * object. Keys are compared as raw text, so a key written with escapes
 * ("\u0065vent") is not found: fine for the keys the server writes. */
static span find_member(span obj, const char *key) {
    span none = {NULL, 0};
    if (!obj.p || obj.n == 0 || obj.p[0] != '{') return none;
    size_t key_len = strlen(key);
    const char *p = skip_ws(obj.p + 1);
    while (p < text_end && *p == '"') {
        const char *key_end = check_string(p);
        int match = (size_t)(key_end - p) == key_len + 2 && memcmp(p + 1, key, key_len) == 0;
        p = skip_ws(skip_ws(key_end) + 1); /* past ':' */
        const char *value_end = check_value(p, 0);
        if (match) return (span){p, (size_t)(value_end - p)};
        p = skip_ws(value_end);
        if (*p != ',') break;
        p = skip_ws(p + 1);
    }
    return none;
}

static int is_null(span s) { return s.p && s.n == 4 && memcmp(s.p, "null", 4) == 0; }

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv) {
    /* argv[0] is the function name; an empty one if the host gave none. */
    const char *fn = argc > 0 ? argv[0] : "";
    const char *run_id = getenv("HOT_RUN_ID");
    fprintf(stderr, "handler %s: run %s\n", fn, run_id ? run_id : "(no HOT_RUN_ID)");

    size_t len;
    char *text = read_stdin(&len);
    text_end = text + len;

    /* Step 1: say how much arrived. */
    printf("{\"type\":\"data\",\"data_type\":\"step\",\"payload\":{\"step\":\"read\",\"bytes\":%zu}}", len);
    end_line();

    /* The whole input must be one JSON object. */
    const char *start = skip_ws(text);
    const char *end = check_value(start, 0);
    if (!end) fail("stdin is not valid JSON", -1);
    if (skip_ws(end) != text_end) fail("stdin has more than one JSON value", (long)(skip_ws(end) - text));
    if (*start != '{') fail("stdin is not a JSON object", (long)(start - text));
    span run = {start, (size_t)(end - start)};

    span event = find_member(run, "event");
    span event_type = {NULL, 0}, event_data = {NULL, 0};

    if (event.p && !is_null(event)) {
        /* Step 2 (event run): echo the event's type and data. */
        event_type = find_member(event, "event_type");
        event_data = find_member(event, "event_data");
        if (!event_type.p || event_type.p[0] != '"') fail("event has no string event_type", (long)(event.p - text));
        if (!event_data.p) fail("event has no event_data", (long)(event.p - text));
        printf("{\"type\":\"data\",\"data_type\":\"step\",\"payload\":{\"step\":\"event\",\"event_type\":%.*s,\"event_data\":%.*s}}",
               (int)event_type.n, event_type.p, (int)event_data.n, event_data.p);
        end_line();
    } else {
        /* Step 2 (schedule run): echo the cron expression. */
        span cron = find_member(find_member(run, "schedule"), "cron");
        if (!cron.p) fail("neither an event nor a schedule", -1);
        printf("{\"type\":\"data\",\"data_type\":\"step\",\"payload\":{\"step\":\"schedule\",\"cron\":%.*s}}",
               (int)cron.n, cron.p);
        end_line();
    }

    /* The result ends the run. */
    fputs("{\"type\":\"result\",\"result\":{\"fn\":", stdout);
    put_json_string(fn, strlen(fn));
    if (event_type.p) printf(",\"event_type\":%.*s", (int)event_type.n, event_type.p);
    else fputs(",\"event_type\":null", stdout);
    printf(",\"bytes_in\":%zu,\"event_data_bytes\":%zu}}", len, event_data.n);
    end_line();

    free(text);
    return 0;
}
