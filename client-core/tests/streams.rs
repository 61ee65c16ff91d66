//! Replies that arrive as event streams, against a scripted MCP server on 127.0.0.1:0: a reply
//! stream that ends early is resumed with `Last-Event-ID` after the server's `retry` (the delay
//! is recorded, not slept: the client's timer is its `HttpClient`); an elicitation on the
//! session's standing GET stream is answered with the schema's defaults; a SEP-2322
//! `input_required` result is answered and resent with the unchanged `requestState`, and one that
//! keeps asking is given up on after eight rounds.

#![allow(clippy::unwrap_used)]

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use client_core::http::{HttpClient, HttpRequest, HttpResponse, StreamingResponse, TransportError};
use client_core::{CoreError, McpClient};
use common::Reqwest;
use futures::StreamExt as _;
use serde_json::{json, Value};

/// What the scripted server saw.
#[derive(Default)]
struct Seen {
    pending_call: Option<Value>,
    last_event_ids: Vec<String>,
    gets: usize,
    capabilities: Option<Value>,
    elicitation_answer: Option<Value>,
    mrtr_retries: Vec<Value>,
    call_ids: Vec<Value>,
}

type Shared = Arc<(Mutex<Seen>, tokio::sync::Notify)>;

fn sse(events: Vec<String>, then_hold_open: bool) -> Response {
    let chunks = futures::stream::iter(events.into_iter().map(|e| Ok::<_, std::io::Error>(Bytes::from(e))));
    let body = if then_hold_open {
        Body::from_stream(chunks.chain(futures::stream::pending()))
    } else {
        Body::from_stream(chunks)
    };
    ([("content-type", "text/event-stream"), ("mcp-session-id", "s1")], body).into_response()
}

fn reply(id: &Value, result: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()
}

async fn mcp(state: axum::extract::State<Shared>, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    let shared = state.0;
    if method == Method::GET {
        let mut seen = shared.0.lock().unwrap();
        seen.gets += 1;
        if let Some(last) = headers.get("last-event-id") {
            seen.last_event_ids.push(last.to_str().unwrap().to_owned());
            let id = seen.pending_call.take().unwrap_or(Value::Null);
            let text = reply(&id, json!({"content": [{"type": "text", "text": "resumed"}]}));
            return sse(vec![format!("id: ev-2\ndata: {text}\n\n")], true);
        }
        let ask = json!({"jsonrpc": "2.0", "id": "e1", "method": "elicitation/create", "params": {
            "message": "m", "requestedSchema": {"type": "object", "properties": {
                "name": {"type": "string", "default": "Ann"}, "n": {"type": "integer", "default": 3}, "free": {"type": "string"}}}}});
        return sse(vec![format!("data: {ask}\n\n")], true);
    }
    let msg: Value = serde_json::from_slice(&body).unwrap();
    let id = msg["id"].clone();
    match (msg["method"].as_str(), msg["params"]["name"].as_str()) {
        (Some("initialize"), _) => {
            shared.0.lock().unwrap().capabilities = Some(msg["params"]["capabilities"].clone());
            let result = json!({"protocolVersion": "2025-11-25", "capabilities": {}, "serverInfo": {"name": "s", "version": "1"}});
            ([("content-type", "application/json"), ("mcp-session-id", "s1")], reply(&id, result)).into_response()
        }
        (None, _) => {
            shared.0.lock().unwrap().elicitation_answer = Some(msg["result"].clone());
            shared.1.notify_one();
            axum::http::StatusCode::ACCEPTED.into_response()
        }
        (Some("tools/call"), Some("resume")) => {
            shared.0.lock().unwrap().pending_call = Some(id);
            sse(vec!["id: ev-1\nretry: 700\ndata: \n\n".into()], false)
        }
        (Some("tools/call"), Some("cut")) => sse(vec![": nothing\n\n".into()], false),
        (Some("tools/call"), Some("elicit")) => {
            let answered = futures::stream::once(async move {
                shared.1.notified().await;
                let answer = shared.0.lock().unwrap().elicitation_answer.clone().unwrap();
                let text = reply(&id, json!({"content": [{"type": "text", "text": answer.to_string()}]}));
                Ok::<_, std::io::Error>(Bytes::from(format!("data: {text}\n\n")))
            });
            ([("content-type", "text/event-stream")], Body::from_stream(answered)).into_response()
        }
        (Some("tools/call"), Some("mrtr")) => {
            let mut seen = shared.0.lock().unwrap();
            seen.call_ids.push(id.clone());
            let result = if msg["params"].get("inputResponses").is_none() {
                json!({"resultType": "input_required", "requestState": "{\"n\": 1,  \"x\":\"y\"}", "inputRequests": {
                    "confirm": {"method": "elicitation/create", "params": {"message": "ok?", "requestedSchema": {
                        "type": "object", "properties": {"ok": {"type": "boolean", "default": true}}}}}}})
            } else {
                seen.mrtr_retries.push(msg["params"].clone());
                json!({"resultType": "complete", "content": [{"type": "text", "text": "done"}]})
            };
            axum::Json(json!({"jsonrpc": "2.0", "id": id, "result": result})).into_response()
        }
        (Some("tools/call"), Some("mrtr-forever")) => {
            shared.0.lock().unwrap().call_ids.push(id.clone());
            let result = json!({"resultType": "input_required", "inputRequests": {"p": {"method": "ping"}}});
            axum::Json(json!({"jsonrpc": "2.0", "id": id, "result": result})).into_response()
        }
        _ => axum::http::StatusCode::ACCEPTED.into_response(),
    }
}

async fn server() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = axum::Router::new().route("/mcp", axum::routing::any(mcp)).with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, shared)
}

/// Real HTTP; `sleep` is recorded and returns at once.
struct NoSleep {
    inner: Reqwest,
    slept: RefCell<Vec<u64>>,
}

impl HttpClient for NoSleep {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.inner.send(req).await
    }
    async fn open(&self, req: HttpRequest) -> Result<StreamingResponse, TransportError> {
        self.inner.open(req).await
    }
    async fn sleep(&self, ms: u64) {
        self.slept.borrow_mut().push(ms);
    }
}

fn client(url: &str) -> (McpClient<NoSleep>, Rc<NoSleep>) {
    let http = Rc::new(NoSleep { inner: Reqwest::new(), slept: RefCell::default() });
    (McpClient::new(http.clone(), url, "t"), http)
}

#[tokio::test]
async fn a_reply_stream_that_ends_early_is_resumed_after_the_retry_hint() {
    let (url, seen) = server().await;
    let (mcp, http) = client(&url);
    mcp.initialize().await.unwrap();
    assert_eq!(mcp.call_tool("resume", json!({})).await.unwrap(), "resumed");
    assert_eq!(*http.slept.borrow(), [700], "waits the server's retry before reconnecting");
    assert_eq!(seen.0.lock().unwrap().last_event_ids, ["ev-1"]);
}

#[tokio::test]
async fn a_stream_that_ends_without_an_event_id_is_an_error_not_a_reconnection() {
    let (url, seen) = server().await;
    let (mcp, http) = client(&url);
    mcp.initialize().await.unwrap();
    let err = mcp.call_tool("cut", json!({})).await.unwrap_err();
    assert!(matches!(&err, CoreError::Invalid { reason, .. } if reason.contains("ended without")), "{err:?}");
    assert!(http.slept.borrow().is_empty());
    assert_eq!(seen.0.lock().unwrap().gets, 0, "no GET: no elicitation declared, nothing to resume");
    assert_eq!(seen.0.lock().unwrap().capabilities, Some(json!({})));
}

#[tokio::test]
async fn an_elicitation_on_the_standing_stream_is_answered_with_the_defaults() {
    let (url, seen) = server().await;
    let (mcp, _) = client(&url);
    let mcp = mcp.with_elicitation(Rc::new(client_core::elicit::accept_defaults));
    mcp.initialize().await.unwrap();
    let out = mcp.call_tool("elicit", json!({})).await.unwrap();
    let answer: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer, json!({"action": "accept", "content": {"name": "Ann", "n": 3}}));
    let seen = seen.0.lock().unwrap();
    assert_eq!(seen.capabilities, Some(json!({"elicitation": {"form": {}}})));
    assert_eq!(seen.gets, 1);
}

#[tokio::test]
async fn input_required_is_answered_and_resent_with_a_new_id_and_the_state_unchanged() {
    let (url, seen) = server().await;
    let (mcp, _) = client(&url);
    let mcp = mcp.with_elicitation(Rc::new(client_core::elicit::accept_defaults));
    assert_eq!(mcp.call_tool("mrtr", json!({})).await.unwrap(), "done");
    {
        let seen = seen.0.lock().unwrap();
        let retry = &seen.mrtr_retries[0];
        assert_eq!(retry["requestState"], "{\"n\": 1,  \"x\":\"y\"}", "echoed byte for byte");
        assert_eq!(retry["inputResponses"]["confirm"], json!({"action": "accept", "content": {"ok": true}}));
        assert_ne!(seen.call_ids[0], seen.call_ids[1]);
    }

    // Without a way to answer elicitations, the input request is refused, not guessed.
    let (plain, _) = client(&url);
    let err = plain.call_tool("mrtr", json!({})).await.unwrap_err();
    assert!(matches!(err, CoreError::JsonRpc { code: -32601, .. }), "{err:?}");
}

#[tokio::test]
async fn a_server_that_keeps_asking_for_input_is_given_up_on_after_eight_rounds() {
    let (url, seen) = server().await;
    let (mcp, _) = client(&url);
    let err = mcp.call_tool("mrtr-forever", json!({})).await.unwrap_err();
    assert!(
        matches!(&err, CoreError::Invalid { reason, .. } if reason.contains("still asked for input after 8 rounds")),
        "{err:?}"
    );
    assert_eq!(seen.0.lock().unwrap().call_ids.len(), 9, "the first request and eight answered rounds");
}
