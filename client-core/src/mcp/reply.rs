//! Reading the reply to a request. A JSON body holds it; an SSE stream may first carry the
//! server's own requests (answered at once) and may end before the reply: when the server made
//! it resumable (an event `id`), the client waits the `retry` hint and resumes with a GET and
//! `Last-Event-ID` (SEP-1699). Meanwhile the session's standing GET stream ([`McpClient::listen`])
//! is read too, for requests the server sends outside any request (such as an elicitation).

#[cfg(feature = "elicitation")]
use std::pin::pin;

#[cfg(feature = "elicitation")]
use futures::future::{select, Either};
use serde_json::Value;
use shared::mcp::messages_from_body;

use super::{McpClient, WHAT};
use crate::elicit;
use crate::error::CoreError;
use crate::http::{HttpClient, HttpResponse, Method, StreamingResponse, TransportError};
use crate::sse::{Event, EventStream};
use crate::wire::excerpt;

/// Resumptions of one request's stream before giving up.
const MAX_RESUMES: u32 = 5;
/// The delay before resuming when the server gave no `retry` hint.
const DEFAULT_RETRY_MS: u64 = 1000;
const EVENT_STREAM: &str = "text/event-stream";

pub(super) fn unreachable(method: &str, url: &str, cause: TransportError) -> CoreError {
    CoreError::Unreachable { what: WHAT.into(), method: method.into(), url: url.into(), cause }
}

pub(super) fn is_event_stream(res: &StreamingResponse) -> bool {
    res.header("content-type").unwrap_or_default().starts_with(EVENT_STREAM)
}

enum Next {
    Reply(Result<Option<Event>, TransportError>),
    /// Only read with the `elicitation` feature (the standing stream).
    #[cfg_attr(not(feature = "elicitation"), allow(dead_code))]
    Listener(Result<Option<Event>, TransportError>),
}

impl<H: HttpClient> McpClient<H> {
    /// Opens the session's standing GET stream when the client has something to answer there
    /// (elicitation); a server without one (405) or any failure leaves the client without it.
    #[cfg(feature = "elicitation")]
    pub(super) async fn listen(&self) {
        if self.handler().is_none() || self.conn.borrow().session_id.is_none() {
            return;
        }
        let (req, _) = self.request(Method::Get, None);
        match self.http.open(req.header("accept", EVENT_STREAM)).await {
            Ok(res) if (200..300).contains(&res.status) && is_event_stream(&res) => {
                self.conn.borrow_mut().listener = Some(EventStream::new(res.body));
            }
            _ => {}
        }
    }

    /// The JSON-RPC response with `id` in the JSON (or whole SSE) body of the reply to `method`.
    pub(super) fn whole_reply(&self, id: u64, method: &str, res: &HttpResponse) -> Result<Value, CoreError> {
        let messages = messages_from_body(res.content_type(), &res.text());
        messages.into_iter().find(|m| is_response(m, id)).ok_or_else(|| {
            self.invalid(format!(
                "the reply to {method} has no JSON-RPC response with id {id} ({})",
                excerpt(&res.text())
            ))
        })
    }

    /// The JSON-RPC response with `id` in the event stream `res` replying to `method`.
    pub(super) async fn stream_reply(&self, id: u64, method: &str, res: StreamingResponse) -> Result<Value, CoreError> {
        // Only a client with elicitation opens a standing stream.
        let mut listener = if cfg!(feature = "elicitation") { self.conn.borrow_mut().listener.take() } else { None };
        let result = self.read_stream(id, method, EventStream::new(res.body), &mut listener).await;
        if listener.is_some() && self.conn.borrow().listener.is_none() {
            self.conn.borrow_mut().listener = listener;
        }
        result
    }

    async fn read_stream(
        &self,
        id: u64,
        method: &str,
        mut stream: EventStream,
        listener: &mut Option<EventStream>,
    ) -> Result<Value, CoreError> {
        let mut resumes = 0;
        loop {
            // Only a client with elicitation has a standing stream to read alongside.
            #[cfg(feature = "elicitation")]
            let next = match listener.as_mut() {
                Some(l) => match select(pin!(stream.next_event()), pin!(l.next_event())).await {
                    Either::Left((e, _)) => Next::Reply(e),
                    Either::Right((e, _)) => Next::Listener(e),
                },
                None => Next::Reply(stream.next_event().await),
            };
            #[cfg(not(feature = "elicitation"))]
            let next = Next::Reply(stream.next_event().await);
            // One `on_event` await for both streams.
            let (event, want) = match next {
                Next::Listener(Ok(Some(event))) => (event, None),
                // The standing stream ended or broke: the call goes on without it.
                Next::Listener(_) => {
                    *listener = None;
                    continue;
                }
                Next::Reply(Ok(Some(event))) => (event, Some(id)),
                Next::Reply(end) => {
                    let cut = end.err().map(|e| e.0);
                    let Some(last_id) = stream.parser.last_event_id.clone() else {
                        return Err(self.no_response(method, cut));
                    };
                    if resumes == MAX_RESUMES {
                        return Err(self.no_response(method, cut));
                    }
                    resumes += 1;
                    let retry_ms = stream.parser.retry_ms;
                    self.http.sleep(retry_ms.unwrap_or(DEFAULT_RETRY_MS)).await;
                    stream = self.resume(&last_id).await?;
                    stream.parser.retry_ms = stream.parser.retry_ms.or(retry_ms);
                    stream.parser.last_event_id = Some(last_id);
                    continue;
                }
            };
            if let Some(response) = self.on_event(&event, want).await? {
                return Ok(response);
            }
        }
    }

    /// GET with `Last-Event-ID`: the server replays what followed that event.
    async fn resume(&self, last_event_id: &str) -> Result<EventStream, CoreError> {
        let (req, _) = self.request(Method::Get, None);
        let req = req.header("accept", EVENT_STREAM).header("last-event-id", last_event_id);
        let url = req.url.clone();
        let res = self.http.open(req).await.map_err(|cause| unreachable("GET", &url, cause))?;
        if !(200..300).contains(&res.status) || !is_event_stream(&res) {
            let status = res.status;
            let body = res.collect().await.map(|r| excerpt(&r.text())).unwrap_or_default();
            return Err(CoreError::Status {
                what: WHAT.into(),
                method: "GET".into(),
                url,
                expected: "an event stream to resume".into(),
                got: status,
                detail: Some(body).filter(|d| !d.is_empty()),
            });
        }
        Ok(EventStream::new(res.body))
    }

    fn no_response(&self, method: &str, cut: Option<String>) -> CoreError {
        let why = cut.map_or_else(String::new, |c| format!(" ({c})"));
        self.invalid(format!("the event stream of {method} ended without its response{why}"))
    }

    /// Handles one event: returns the response with id `want`; answers a server request.
    async fn on_event(&self, event: &Event, want: Option<u64>) -> Result<Option<Value>, CoreError> {
        let Ok(message) = serde_json::from_str::<Value>(&event.data) else { return Ok(None) };
        if want.is_some_and(|id| is_response(&message, id)) {
            return Ok(Some(message));
        }
        let (Some(method), Some(request_id)) = (message["method"].as_str(), message.get("id")) else {
            return Ok(None);
        };
        let handler = self.handler();
        // Written as text, keys in the order a `Value` would give them: no JSON tree to build.
        let id = text_of(request_id);
        let reply = match elicit::answer(method, &message["params"], handler.as_ref()) {
            Ok(result) => format!(r#"{{"id":{id},"jsonrpc":"2.0","result":{}}}"#, text_of(&result)),
            Err((code, text)) => {
                format!(r#"{{"error":{{"code":{code},"message":{}}},"id":{id},"jsonrpc":"2.0"}}"#, text_of(&text))
            }
        };
        self.send_reply(reply).await?;
        Ok(None)
    }

    /// POSTs the client's response to a server request (the server acknowledges with a 202).
    async fn send_reply(&self, reply: String) -> Result<(), CoreError> {
        let (req, _) = self.request(Method::Post, Some(reply));
        let url = req.url.clone();
        let res = self.http.send(req).await.map_err(|cause| unreachable("POST", &url, cause))?;
        if res.is_success() {
            return Ok(());
        }
        Err(CoreError::Status {
            what: WHAT.into(),
            method: "POST".into(),
            url,
            expected: "a 2xx response".into(),
            got: res.status,
            detail: Some(excerpt(&res.text())).filter(|d| !d.is_empty()),
        })
    }
}

/// Compact JSON text, through the one writer the crate uses for bodies (`serde_json::to_string`).
pub(super) fn text_of<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn is_response(message: &Value, id: u64) -> bool {
    message.get("id") == Some(&Value::from(id)) && (message.get("result").is_some() || message.get("error").is_some())
}
