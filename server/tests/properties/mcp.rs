//! `/mcp` on arbitrary requests: without a usable bearer token the answer is always a 401 (or a
//! 400 for a token in the URL) carrying `WWW-Authenticate: Bearer` with our metadata URL (RFC 6750
//! §3, RFC 9728 §5.1); with a valid token, arbitrary JSON-RPC in a live session (tool calls with
//! any arguments included) is never a 5xx, and every request with an id gets an answer.

use proptest::prelude::*;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{Method, Response};
use serde_json::{json, Value};
use shared::challenge::BearerChallenge;
use shared::mcp::{RESOURCE_PROFILE, RESOURCE_STATS, TOOL_GET_USER_DATA, TOOL_UPDATE_PROFILE};

use super::{header_text, run, send};
use crate::common::{claims_for, mint, spawn_app, TestApp};

#[derive(Clone, Debug)]
struct McpRequest {
    method: Method,
    query: Option<String>,
    authorization: Option<String>,
    content_type: Option<String>,
    accept: Option<String>,
    session: Option<String>,
    body: Vec<u8>,
}

/// Tokens of alice with `user` and with `user user:write`, and a session she opened.
#[derive(Clone)]
struct Known {
    tokens: Vec<String>,
    session: String,
    user_id: String,
}

async fn setup() -> (TestApp, Known) {
    let app = spawn_app().await;
    let user_id = app.add_user("alice").await;
    let client_id = app.register_client().await;
    let mut tokens = Vec::new();
    for scope in ["user", "user user:write"] {
        let mut claims = claims_for(&app, &user_id, &client_id);
        claims.scope = scope.into();
        tokens.push(mint(&app, &claims).await);
    }
    let session = app.mcp_session(&tokens[0]).await;
    (app, Known { tokens, session, user_id })
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![any::<String>(), "[ -~]{0,90}", Just("current".to_owned())].prop_map(Value::String),
    ]
}

/// JSON trees whose object members are mostly the names the tools and resources read.
fn tree() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        3 => prop::sample::select(vec!["name", "arguments", "user_id", "display_name", "uri", "cursor", "_meta"])
            .prop_map(str::to_owned),
        1 => "[a-z]{1,6}",
    ];
    leaf().prop_recursive(3, 16, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..4).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Params for `method`: well-formed ones with arbitrary values, or any tree.
fn params(user_id: String) -> impl Strategy<Value = (&'static str, Value)> {
    let tool = prop_oneof![
        3 => prop::sample::select(vec![TOOL_GET_USER_DATA, TOOL_UPDATE_PROFILE]).prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    let arg = prop_oneof![3 => leaf(), 1 => Just(Value::String(user_id)), 1 => tree()];
    let arguments = prop_oneof![
        3 => (prop::sample::select(vec!["user_id", "display_name", "x"]), arg)
            .prop_map(|(k, v)| json!({ k: v })),
        1 => tree(),
    ];
    let call =
        (tool, arguments).prop_map(|(name, arguments)| ("tools/call", json!({"name": name, "arguments": arguments})));
    let uri = prop_oneof![
        prop::sample::select(vec![RESOURCE_PROFILE, RESOURCE_STATS]).prop_map(str::to_owned),
        any::<String>(),
    ];
    let read = uri.prop_map(|uri| ("resources/read", json!({ "uri": uri })));
    let other = (
        prop::sample::select(vec![
            "tools/list",
            "resources/list",
            "prompts/list",
            "ping",
            "initialize",
            "logging/setLevel",
            "x",
        ]),
        tree(),
    );
    prop_oneof![4 => call, 2 => read, 2 => other]
}

/// One JSON-RPC message (sometimes a notification, a batch or junk).
fn message(user_id: String) -> impl Strategy<Value = Vec<u8>> {
    let id = prop_oneof![
        6 => (0i64..1_000_000).prop_map(Value::from),
        3 => "[a-z0-9]{0,8}".prop_map(Value::String),
        1 => Just(Value::Null),
    ];
    let one = (params(user_id), id)
        .prop_map(|((method, params), id)| json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
        .boxed();
    prop_oneof![
        8 => one.clone().prop_map(|m| m.to_string().into_bytes()),
        1 => one.prop_map(|m| json!([m]).to_string().into_bytes()),
        1 => tree().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..60),
    ]
}

/// No header, other schemes, malformed and forged bearer tokens.
fn bad_authorization() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        2 => Just(None),
        1 => header_text().prop_map(Some),
        1 => "[A-Za-z0-9._~+/=-]{0,80}".prop_map(|t| Some(format!("Bearer {t}"))),
        1 => "[A-Za-z0-9_-]{1,40}\\.[A-Za-z0-9_-]{1,60}\\.[A-Za-z0-9_-]{0,86}".prop_map(|t| Some(format!("bearer  {t}"))),
        1 => prop::sample::select(vec!["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "DPoP abc"])
            .prop_map(|s| Some(s.to_owned())),
    ]
}

/// Requests around `body`: methods, queries, headers and sessions, mostly the right ones.
fn request(
    authorization: impl Strategy<Value = Option<String>>,
    session: Option<String>,
    body: impl Strategy<Value = Vec<u8>>,
) -> impl Strategy<Value = McpRequest> {
    let method =
        prop_oneof![8 => Just(Method::POST), 1 => prop::sample::select(vec![Method::GET, Method::DELETE, Method::PUT])];
    let query = prop_oneof![
        8 => Just(None),
        1 => "[a-z_]{1,12}=[a-z0-9]{0,6}".prop_map(Some),
        1 => Just(Some("access_token=abc".to_owned())),
    ];
    let usually = |right: &'static str, others: Vec<&'static str>| {
        prop_oneof![
            6 => Just(Some(right.to_owned())),
            1 => prop::option::of(prop::sample::select(others).prop_map(str::to_owned)),
        ]
    };
    let content_type = usually("application/json", vec!["text/plain", "application/json; charset=utf-8"]);
    let accept = usually("application/json, text/event-stream", vec!["text/event-stream", "application/json", "*/*"]);
    let session = prop_oneof![
        6 => Just(session),
        1 => prop::option::of("[a-zA-Z0-9-]{0,36}"),
    ];
    let headers = (content_type, accept, session);
    (method, query, authorization, headers, body).prop_map(
        |(method, query, authorization, (content_type, accept, session), body)| McpRequest {
            method,
            query,
            authorization,
            content_type,
            accept,
            session,
            body,
        },
    )
}

async fn send_mcp(app: &TestApp, r: McpRequest) -> Result<Response, TestCaseError> {
    let url = match &r.query {
        Some(q) => format!("{}?{q}", app.mcp_url),
        None => app.mcp_url.clone(),
    };
    let mut req = app.http.request(r.method, url).body(r.body);
    for (name, value) in [(AUTHORIZATION, r.authorization), (CONTENT_TYPE, r.content_type), (ACCEPT, r.accept)] {
        if let Some(v) = value {
            req = req.header(name, v);
        }
    }
    if let Some(s) = r.session {
        req = req.header("Mcp-Session-Id", s).header("MCP-Protocol-Version", shared::mcp::PROTOCOL_VERSION);
    }
    send(req).await
}

/// Asserts a refusal of the guard: a Bearer challenge pointing at our protected resource
/// metadata; an `error` in the challenge comes with the same JSON error body, and a challenge
/// without one is only for a request without a token (401).
async fn guard_refusal(app: &TestApp, resp: Response) -> Result<(), TestCaseError> {
    let status = resp.status().as_u16();
    let header = resp.headers().get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let text = resp.text().await.unwrap_or_default();
    let challenge = BearerChallenge::parse(&header);
    prop_assert!(challenge.is_some(), "{} without a Bearer challenge: {:?} {}", status, header, text);
    let challenge = challenge.unwrap_or_default();
    let metadata = format!("{}/.well-known/oauth-protected-resource/mcp", app.rs_url);
    prop_assert_eq!(challenge.resource_metadata, Some(metadata));
    match &challenge.error {
        Some(error) => {
            let allowed = ["invalid_request", "invalid_token", "insufficient_scope"];
            prop_assert!(allowed.contains(&error.as_str()), "{}", error);
            let body: Value = serde_json::from_str(&text).unwrap_or_default();
            prop_assert_eq!(body["error"].as_str(), Some(error.as_str()), "{}", text);
        }
        None => prop_assert_eq!(status, 401, "an error-less challenge is only for a missing token"),
    }
    Ok(())
}

#[test]
fn mcp_without_a_valid_token_always_gets_a_bearer_challenge() {
    run(
        200,
        setup,
        |k| request(bad_authorization(), Some(k.session.clone()), message(k.user_id.clone())),
        async |app, _, r| {
            let token_in_url = r.query.as_deref().is_some_and(|q| q.starts_with("access_token="));
            let resp = send_mcp(app, r).await?;
            prop_assert_eq!(resp.status().as_u16(), if token_in_url { 400 } else { 401 });
            guard_refusal(app, resp).await
        },
    );
}

#[test]
fn mcp_with_a_valid_token_never_fails_on_arbitrary_json_rpc() {
    run(
        250,
        setup,
        |k| {
            let bearer = prop::sample::select(k.tokens.clone()).prop_map(|t| Some(format!("Bearer {t}")));
            let authorization = prop_oneof![8 => bearer, 1 => bad_authorization()];
            let session = k.session.clone();
            // A DELETE would end the one session every later case uses.
            request(authorization, Some(session.clone()), message(k.user_id.clone())).prop_map(move |mut r| {
                if r.method == Method::DELETE && r.session.as_ref() == Some(&session) {
                    r.session = Some("not-a-session".into());
                }
                r
            })
        },
        async |app, _, r| {
            let id = serde_json::from_slice::<Value>(&r.body).ok().and_then(|m| m.get("id").cloned());
            let post = r.method == Method::POST;
            let resp = send_mcp(app, r).await?;
            let status = resp.status().as_u16();
            if resp.headers().contains_key(WWW_AUTHENTICATE) {
                return guard_refusal(app, resp).await;
            }
            prop_assert!(status < 500 && status != 401, "{}", status);
            // A GET may open the session's event stream, which stays open: not read.
            if !post {
                return Ok(());
            }
            let ct = resp.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let text = tokio::time::timeout(std::time::Duration::from_secs(10), resp.text())
                .await
                .map_err(|_| TestCaseError::fail("no complete answer within 10 s"))?
                .map_err(|e| TestCaseError::fail(format!("body cut short: {e}")))?;
            // Every request with an id is answered, with a result or a JSON-RPC error.
            if let (200, Some(id)) = (status, id.filter(|id| !id.is_null())) {
                let answered = shared::mcp::messages_from_body(&ct, &text).iter().any(|m| m["id"] == id);
                prop_assert!(answered, "no answer to id {}: {}", id, text);
            }
            Ok(())
        },
    );
}
