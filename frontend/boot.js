// Starts the WebAssembly app. Trunk's own loader is an inline <script type="module">, which the
// SPA's Content-Security-Policy forbids (script-src 'self' 'wasm-unsafe-eval', no 'unsafe-inline').
// Trunk.toml's `pattern_script` puts <meta name="mcp-auth-app"> in its place, naming the hashed
// wasm-bindgen files; this module, a file of the app's own origin, loads them instead.
const app = document.querySelector('meta[name="mcp-auth-app"]');
if (!app) throw new Error('index.html has no <meta name="mcp-auth-app">: build it with Trunk (see Trunk.toml)');
const { default: init } = await import(app.dataset.js);
await init({ module_or_path: app.dataset.wasm });
