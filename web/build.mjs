// Vite build into a scratch folder, then swapped in: the served folder is never half
// written (a server or a test may be reading it while a build runs).
import { rm, rename } from "node:fs/promises";
import { build } from "vite";

const target = "../src/netweave/web/static";
const scratch = `../src/netweave/web/.static-build-${process.pid}`;
const retired = `${scratch}-old`;
await build({ build: { outDir: scratch, emptyOutDir: true }, logLevel: "warn" });
await rename(target, retired).catch(() => undefined);
await rename(scratch, target);
await rm(retired, { recursive: true, force: true });
console.log(`built into ${target}`);
