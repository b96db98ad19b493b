-- OpenTelemetry trace context (W3C `traceparent` and `tracestate` text) of the span that published
-- an event or queued a run, when tracing is on: the worker that claims the run, in whichever
-- process and however much later, continues that trace (docs/configuration.md, "Tracing").
-- NULL when tracing was off; never read by the API.
ALTER TABLE event ADD COLUMN traceparent text, ADD COLUMN tracestate text;
ALTER TABLE run ADD COLUMN traceparent text, ADD COLUMN tracestate text;
