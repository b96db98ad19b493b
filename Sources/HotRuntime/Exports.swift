// Generated routes and HotImpl name HTTP fields and statuses; they come with the runtime.
@_exported import HTTPTypes
