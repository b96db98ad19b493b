// Resolve hook for running the vendored TypeScript SDK (third_party/hot-js) under Node's type
// stripping: the SDK's relative imports name `./x.js` (what its compiled output holds), while the
// sources are `./x.ts`. When a relative `.js` specifier does not exist, the `.ts` beside it is used.
// Ours, not the SDK's: the vendored files stay unchanged.
//   node --experimental-transform-types --import ./scripts/sdk-loader.mjs script.ts
import { register } from "node:module";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export async function resolve(specifier, context, nextResolve) {
    if ((specifier.startsWith("./") || specifier.startsWith("../")) && specifier.endsWith(".js")
        && context.parentURL?.startsWith("file:")) {
        const jsURL = new URL(specifier, context.parentURL);
        if (!existsSync(fileURLToPath(jsURL))) {
            const tsURL = new URL(specifier.slice(0, -3) + ".ts", context.parentURL);
            if (existsSync(fileURLToPath(tsURL))) return nextResolve(tsURL.href, context);
        }
    }
    return nextResolve(specifier, context);
}

// Imported with --import: registers this very module as the resolve hook.
if (!import.meta.url.includes("?hook")) register(import.meta.url + "?hook");
