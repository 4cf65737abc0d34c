import { defineConfig } from "vite";

// Built into the Python package: the server serves it, operators need no CDN.
export default defineConfig({
  base: "/ui/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "../src/netweave/web/static",
    emptyOutDir: true,
    sourcemap: false,
    // The globe (three.js) is its own ~1.9 MB chunk, loaded only when the globe is opened.
    chunkSizeWarningLimit: 2000,
  },
  server: { proxy: { "/api": "http://127.0.0.1:8000" } },
});
