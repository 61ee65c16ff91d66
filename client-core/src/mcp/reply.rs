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

use super::write::text_of;
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
pub(super) const EVENT_STREAM: &str = "text/event-stream";

pub(super) fn unreachable(method: &str, url: &str, cause: TransportError) -> CoreError {
    CoreError::Unreachable { what: WHAT.into(), method: method.into(), url: url.into(), cause }
}

/// The error for a resumption answered with something other than a 2xx event stream.
pub(super) fn not_resumed(url: String, status: u16, res: Result<HttpResponse, TransportError>) -> CoreError {
    let body = res.map(|r| excerpt(&r.text())).unwrap_or_default();
    CoreError::Status {
        what: WHAT.into(),
        method: "GET".into(),
        url,
        expected: "an event stream to resume".into(),
        got: status,
        detail: Some(body).filter(|d| !d.is_empty()),
    }
}

pub(super) fn is_event_stream(res: &StreamingResponse) -> bool {
    res.header("content-type").unwrap_or_default().starts_with(EVENT_STREAM)
}

/// Where to resume a reply stream that ended early: a GET with `Last-Event-ID` (SEP-1699),
/// after the `retry` hint.
pub(super) struct Resume {
    pub(super) last_id: String,
    pub(super) retry_ms: Option<u64>,
    /// Which resumption this is (at most [`MAX_RESUMES`]).
    count: u32,
}

impl Resume {
    pub(super) fn delay_ms(&self) -> u64 {
        self.retry_ms.unwrap_or(DEFAULT_RETRY_MS)
    }
}

/// How a reply stream ended: with the response, or cut where it can be resumed.
pub(super) enum Read {
    Reply(Value),
    Cut(Resume),
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

    /// The JSON-RPC response with `id` in the event stream `res` replying to `method`, or where
    /// to resume it when it ended early (`from`: the resumption this stream answers, if any).
    pub(super) async fn stream_reply(
        &self,
        id: u64,
        method: &str,
        res: StreamingResponse,
        from: Option<&Resume>,
    ) -> Result<Read, CoreError> {
        let mut stream = EventStream::new(res.body);
        // A resumed stream goes on from where the last one was (its id and `retry` hint).
        if let Some(from) = from {
            stream.parser.last_event_id = Some(from.last_id.clone());
            stream.parser.retry_ms = from.retry_ms;
        }
        // Only a client with elicitation opens a standing stream.
        #[cfg(feature = "elicitation")]
        let mut listener = self.conn.borrow_mut().listener.take();
        #[cfg(not(feature = "elicitation"))]
        let mut listener = None;
        let result = self.read_stream(id, method, stream, from.map_or(0, |f| f.count), &mut listener).await;
        #[cfg(feature = "elicitation")]
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
        resumes: u32,
        listener: &mut Option<EventStream>,
    ) -> Result<Read, CoreError> {
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
                    return Ok(Read::Cut(Resume { last_id, retry_ms: stream.parser.retry_ms, count: resumes + 1 }));
                }
            };
            if let Some(response) = self.on_event(&event, want).await? {
                return Ok(Read::Reply(response));
            }
        }
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

/// The id compared as a number (`as_u64`: an id such as `7.0` or `"7"` is not ours), without
/// `Value`'s `PartialEq`, which nothing else in the SPA needs.
fn is_response(message: &Value, id: u64) -> bool {
    message["id"].as_u64() == Some(id) && (message.get("result").is_some() || message.get("error").is_some())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::is_response;

    #[test]
    fn a_response_is_matched_by_its_numeric_id_only() {
        assert!(is_response(&json!({"id": 7, "result": {}}), 7));
        assert!(is_response(&json!({"id": 7, "error": {"code": 1}}), 7));
        for other in
            [json!({"id": 8, "result": {}}), json!({"id": "7", "result": {}}), json!({"id": 7.0, "result": {}})]
        {
            assert!(!is_response(&other, 7), "{other}");
        }
        assert!(!is_response(&json!({"id": 7, "method": "ping"}), 7), "a request, not a response");
        assert!(!is_response(&json!([7]), 7));
    }
}
