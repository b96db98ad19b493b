// Generated from package.json by scripts/sync-version.mjs (runs on `npm version`).
export const VERSION = "1.2.0";
