//! A stand-in for `wasm-streams` 0.5, patched in for the SPA. Leptos always builds `server_fn`
//! with its `browser` feature, whose streaming server-function bodies are the only users of
//! `wasm-streams`; that crate exports three `#[wasm_bindgen]` classes (`IntoUnderlyingSource`,
//! `…ByteSource`, `…Sink`), and exports are kept in the bundle whether used or not (~4.6 KB of
//! wasm and their JS glue). This app has no server functions, so nothing here is ever called;
//! if something did, it throws instead of streaming.

use futures_util::stream::{Empty, Stream};
use wasm_bindgen::JsValue;

const UNSUPPORTED: &str = "streaming server-function bodies are not supported in this app";

/// A browser `ReadableStream`, passed through as is.
pub struct ReadableStream(web_sys::ReadableStream);

impl ReadableStream {
    #[must_use]
    pub fn from_raw(raw: web_sys::ReadableStream) -> Self {
        Self(raw)
    }

    #[must_use]
    pub fn into_raw(self) -> web_sys::ReadableStream {
        self.0
    }

    /// Unsupported: throws.
    pub fn from_stream<St>(_stream: St) -> Self
    where
        St: Stream<Item = Result<JsValue, JsValue>> + 'static,
    {
        wasm_bindgen::throw_str(UNSUPPORTED)
    }

    /// Unsupported: throws.
    pub fn into_stream(self) -> Empty<Result<JsValue, JsValue>> {
        wasm_bindgen::throw_str(UNSUPPORTED)
    }
}
