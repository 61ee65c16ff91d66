//! Server-sent events read as they arrive: [`EventStream`] feeds a response body, chunk by
//! chunk, to the one event-stream parser ([`shared::sse::Parser`], which also reads whole SSE
//! bodies).

use futures::StreamExt as _;

pub use shared::sse::{Event, Parser};

use crate::http::{BodyStream, TransportError};

/// A response body read as events.
pub struct EventStream {
    body: BodyStream,
    pub parser: Parser,
}

impl EventStream {
    #[must_use]
    pub fn new(body: BodyStream) -> Self {
        Self { body, parser: Parser::default() }
    }

    /// The next event, `Ok(None)` when the stream has ended. Cancel-safe: dropped while waiting,
    /// nothing read is lost.
    pub async fn next_event(&mut self) -> Result<Option<Event>, TransportError> {
        loop {
            if let Some(event) = self.parser.pop() {
                return Ok(Some(event));
            }
            match self.body.next().await {
                Some(chunk) => self.parser.feed(&chunk?),
                None => {
                    self.parser.feed(b"\n\n");
                    return Ok(self.parser.pop());
                }
            }
        }
    }
}
