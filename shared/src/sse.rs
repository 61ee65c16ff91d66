//! Server-sent events (the WHATWG `text/event-stream` rules): events end at a blank line,
//! `data` lines join with `\n`, `id` sets the last event ID (kept for a reconnection's
//! `Last-Event-ID`), `retry` the reconnection delay, `:` lines are comments. One parser for a
//! stream read as it arrives (client-core's `EventStream`) and for a body read whole
//! ([`crate::mcp::messages_from_body`]).

/// One dispatched event (only events with data are dispatched).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event {
    pub event: Option<String>,
    pub data: String,
}

/// The incremental parser: feed bytes, pop events.
#[derive(Debug, Default)]
pub struct Parser {
    buf: Vec<u8>,
    data: Option<String>,
    event: Option<String>,
    pending_id: Option<String>,
    /// The last event ID of the stream (from the last dispatched or empty-data event).
    pub last_event_id: Option<String>,
    /// The server's last `retry` hint, in milliseconds.
    pub retry_ms: Option<u64>,
    /// Dispatched events, oldest first, and how many of them were popped: a `Vec` read from the
    /// front (a `VecDeque` is code of its own in the SPA; `remove(0)` would be quadratic).
    ready: Vec<Event>,
    popped: usize,
}

impl Parser {
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        while let Some(end) = self.buf.iter().position(|&b| b == b'\n' || b == b'\r') {
            // A CR at the very end may be the first half of CRLF: wait for the next byte.
            if self.buf[end] == b'\r' && end + 1 == self.buf.len() {
                break;
            }
            let skip = if self.buf[end] == b'\r' && self.buf.get(end + 1) == Some(&b'\n') { 2 } else { 1 };
            let line = String::from_utf8_lossy(&self.buf[..end]).into_owned();
            self.buf.drain(..end + skip);
            self.line(&line);
        }
    }

    pub fn pop(&mut self) -> Option<Event> {
        let event = self.ready.get_mut(self.popped).map(std::mem::take);
        self.popped += 1;
        if self.popped >= self.ready.len() {
            self.ready.clear();
            self.popped = 0;
        }
        event
    }

    fn line(&mut self, line: &str) {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                let data = self.data.get_or_insert_with(String::new);
                data.push_str(value);
                data.push('\n');
            }
            "event" => self.event = Some(value.to_owned()),
            "id" if !value.contains('\0') => self.pending_id = Some(value.to_owned()),
            "retry" => {
                if let Ok(ms) = value.parse() {
                    self.retry_ms = Some(ms);
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self) {
        if let Some(id) = self.pending_id.take() {
            self.last_event_id = Some(id).filter(|i| !i.is_empty());
        }
        let (data, event) = (self.data.take().unwrap_or_default(), self.event.take());
        let data = data.strip_suffix('\n').unwrap_or(&data);
        if !data.is_empty() {
            self.ready.push(Event { event, data: data.to_owned() });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&str]) -> (Vec<Event>, Parser) {
        let mut p = Parser::default();
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c.as_bytes());
            while let Some(e) = p.pop() {
                out.push(e);
            }
        }
        (out, p)
    }

    #[test]
    fn a_priming_event_sets_id_and_retry_without_dispatching() {
        let (evs, p) = events(&["id: event-1\nretry: 500\ndata: \n\n"]);
        assert!(evs.is_empty(), "{evs:?}");
        assert_eq!(p.last_event_id.as_deref(), Some("event-1"));
        assert_eq!(p.retry_ms, Some(500));
    }

    #[test]
    fn events_split_across_chunks_and_line_endings_are_joined() {
        let (evs, p) =
            events(&["event: mess", "age\r", "\nid: 7\ndata: {\"a\":", "1}\r\n", "data: x\r\r", ": comment\n\n"]);
        assert_eq!(evs, vec![Event { event: Some("message".into()), data: "{\"a\":1}\nx".into() }]);
        assert_eq!(p.last_event_id.as_deref(), Some("7"));
        assert_eq!(p.retry_ms, None);
    }

    #[test]
    fn a_bad_retry_is_ignored_and_an_unfinished_event_waits() {
        let (evs, p) = events(&["retry: soon\ndata: 1\n\ndata: 2\n"]);
        assert_eq!(evs.len(), 1);
        assert_eq!(p.retry_ms, None);
    }
}
