// build.mjs bundles the browser code of Trellis with esbuild into dist/.
// The bundles are committed so that `go build` needs no Node; run
// `make assets` after changing anything under src/ or the dependencies.
import * as esbuild from "esbuild";

import { x6NoInlineCSS } from "./src/designer/x6-css-plugin.mjs";

// One entry per page script: the shared app (htmx, uploads, forms) and the
// designer canvas.
const entries = [
  { in: "src/app/main.js", out: "app" },
  { in: "src/designer/main.js", out: "designer" },
];

await esbuild.build({
  entryPoints: entries,
  outdir: "dist",
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  // No source maps or build stamps: the output depends only on the sources,
  // so rebuilding unchanged sources leaves the committed files as they are.
  sourcemap: false,
  legalComments: "none",
  logLevel: "info",
  // X6 (the designer canvas) would insert <style> elements, which the CSP refuses.
  plugins: [x6NoInlineCSS],
});
