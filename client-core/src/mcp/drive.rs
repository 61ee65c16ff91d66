//! The one driver of every request: [`McpClient::call`] sends messages through
//! `McpClient::exchange` in a loop whose steps (initialize, its notification, the call, an
//! input round, a version switch, a session renewal) are data, not async bodies of their own.

use serde_json::Value;
use shared::mcp::PROTOCOL_VERSION;

use super::{McpClient, CLIENT_NAME, CLIENT_VERSION};
use crate::elicit;
use crate::error::CoreError;
use crate::http::HttpClient;
use crate::stateless::UNSUPPORTED_VERSION;

/// SEP-2322 rounds of input requests one call may take before the client gives up.
const MAX_INPUT_ROUNDS: usize = 8;

/// Which message [`McpClient::call`] sends next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Initialize,
    Initialized,
    Call,
}

impl<H: HttpClient> McpClient<H> {
    /// Sends a request and sees it through; `initialize` here starts a fresh session. A
    /// stateless request refused with -32022 (unsupported protocol version) is sent once more at
    /// the first version both sides speak, when the error names one (SEP-2575; once only, even
    /// if that is the version just refused). If the server forgot our session (404), the client
    /// re-initializes once and sends the request again. An `input_required` result (SEP-2322) is
    /// answered and the request sent again, with a new id, `inputResponses` and the server's
    /// `requestState`, until the result is complete. One loop with one await point: each of
    /// these steps is data (which message to send next), not an async body of its own.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, CoreError> {
        let initializing = method == "initialize";
        // What to send next: `initialize`, its notification (no params), or the call itself.
        // `next` holds params other than the call's own (`initialize`'s, or a retry's).
        let mut step = if initializing { Step::Initialize } else { Step::Call };
        let mut next = None;
        let mut init_result = Value::Null;
        let (mut switched, mut renewed, mut rounds) = (false, false, 0);
        loop {
            if step == Step::Initialize {
                let mut conn = self.conn.borrow_mut();
                conn.session_id = None;
                conn.protocol_version = None;
                drop(conn);
                next = Some(self.initialize_params());
            }
            let (sent, sent_params) = match step {
                Step::Initialize => ("initialize", next.as_ref()),
                Step::Initialized => ("notifications/initialized", None),
                Step::Call => (method, Some(next.as_ref().unwrap_or(&params))),
            };
            match self.exchange(sent, sent_params).await {
                Err(CoreError::JsonRpc { code: UNSUPPORTED_VERSION, .. })
                    if !switched && self.is_stateless() && self.switch_version() =>
                {
                    switched = true;
                }
                Err(CoreError::SessionGone) if step == Step::Call && !renewed => {
                    (renewed, switched, step) = (true, false, Step::Initialize);
                }
                Err(e) => return Err(e),
                Ok(result) => {
                    switched = false;
                    match step {
                        Step::Initialize => {
                            (init_result, step, next) = (result, Step::Initialized, None);
                            continue;
                        }
                        Step::Initialized if initializing => return Ok(init_result),
                        Step::Initialized => {
                            (step, next) = (Step::Call, None);
                            continue;
                        }
                        Step::Call => {}
                    }
                    #[cfg(feature = "stateless")]
                    if method == "tools/list" && self.is_stateless() {
                        self.conn.borrow_mut().header_params = crate::stateless::header_params(&result);
                    }
                    let Some(requests) = elicit::input_requests(&result) else { return Ok(result) };
                    if rounds == MAX_INPUT_ROUNDS {
                        return Err(
                            self.invalid(format!("{method} still asked for input after {MAX_INPUT_ROUNDS} rounds"))
                        );
                    }
                    rounds += 1;
                    renewed = false;
                    next = Some(elicit::retry_params(&params, self.answer_all(requests)?, &result));
                }
            }
        }
    }

    /// `initialize`'s params, read from text: one parse instead of a JSON tree built in code.
    fn initialize_params(&self) -> Value {
        let capabilities = self.capabilities_text();
        let text = format!(
            r#"{{"protocolVersion":"{PROTOCOL_VERSION}","capabilities":{capabilities},"clientInfo":{{"name":"{CLIENT_NAME}","version":"{CLIENT_VERSION}"}}}}"#
        );
        serde_json::from_str(&text).unwrap_or_default()
    }

    /// The answers to one round of SEP-2322 input requests, by key.
    fn answer_all(
        &self,
        requests: &serde_json::Map<String, Value>,
    ) -> Result<serde_json::Map<String, Value>, CoreError> {
        let handler = self.handler();
        let mut responses = serde_json::Map::new();
        for (key, request) in requests {
            let method = request["method"].as_str().unwrap_or_default();
            let answer = elicit::answer(method, &request["params"], handler.as_ref())
                .map_err(|(code, message)| CoreError::JsonRpc { method: method.to_owned(), code, message })?;
            responses.insert(key.clone(), answer);
        }
        Ok(responses)
    }
}
