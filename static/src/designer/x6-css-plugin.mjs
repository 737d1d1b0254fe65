// An esbuild plugin for the designer bundle: X6 inserts its stylesheets as
// <style> elements at run time, which the Content Security Policy refuses
// (style-src 'self'). The plugin swaps X6's CSS loader for one that does
// nothing; css/designer.css carries X6's rules instead.
export const x6NoInlineCSS = {
  name: "x6-no-inline-css",
  setup(build) {
    build.onLoad({ filter: /[\\/]@antv[\\/]x6[\\/]es[\\/]common[\\/]css-loader[\\/]index\.js$/ }, () => ({
      contents: "export function ensure() {}\nexport function clean() {}\n",
      loader: "js",
    }));
  },
};
