// The build goes straight into the Python package, so `domestyx serve` ships the client
// and a machine without Node still serves it. `npm run build -- --outDir dist` builds a
// standalone copy (the Render static site) instead.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const packaged = fileURLToPath(
  new URL("../src/domestyx/entrypoints/http/static/web", import.meta.url),
);

export default defineConfig({
  base: "/",
  build: {
    outDir: packaged,
    emptyOutDir: true,
    target: "es2022",
    assetsDir: "assets",
    // The page CSP allows no inline script or style; keep every asset a file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev` talks to a local `domestyx serve` on :8000 through the dev server.
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/dev": "http://127.0.0.1:8000",
      "/files": "http://127.0.0.1:8000",
    },
  },
});
