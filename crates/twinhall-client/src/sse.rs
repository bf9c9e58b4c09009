//! An incremental Server-Sent Events parser (the WHATWG event-stream format): bytes in, events
//! out, lines split on LF, CRLF or CR, `data:` lines joined with LF, comments ignored. A line
//! longer than its limit, or an event whose `data:` lines together exceed theirs, is an error, so
//! a broken server cannot make the client hold unbounded memory.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// `event:`; "message" when the server gave none.
    pub event: String,
    pub data: String,
    /// `id:` of this event, if it had one.
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    #[error("an event-stream line is longer than {0} bytes")]
    LineTooLong(usize),
    #[error("an event-stream event's data is larger than {0} bytes")]
    EventTooLarge(usize),
}

#[derive(Debug)]
pub struct SseParser {
    buf: Vec<u8>,
    /// Bytes of `buf` already scanned for a line end.
    scanned: usize,
    event: String,
    data: String,
    has_data: bool,
    id: Option<String>,
    last_was_cr: bool,
    max_line: usize,
    max_event: usize,
    /// Lines that were not valid UTF-8 or had an unknown field (skipped, counted).
    pub odd_lines: u64,
}

impl SseParser {
    /// A parser refusing lines longer than `max_line` bytes, and events whose data is larger
    /// (see [`SseParser::with_max_event`]).
    pub fn new(max_line: usize) -> Self {
        Self {
            buf: Vec::new(),
            scanned: 0,
            event: String::new(),
            data: String::new(),
            has_data: false,
            id: None,
            last_was_cr: false,
            max_line,
            max_event: max_line,
            odd_lines: 0,
        }
    }

    /// Refuses events whose `data:` lines, joined, exceed `max_event` bytes.
    pub fn with_max_event(mut self, max_event: usize) -> Self {
        self.max_event = max_event;
        self
    }

    /// After an error the stream cannot be trusted: start again from nothing.
    fn clear(&mut self) {
        self.buf = Vec::new();
        self.scanned = 0;
        self.event.clear();
        self.data = String::new();
        self.has_data = false;
        self.id = None;
        self.last_was_cr = false;
    }

    /// Feeds bytes; complete events are pushed to `out`.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        self.buf.extend_from_slice(bytes);
        let mut start = 0;
        let mut i = self.scanned;
        while i < self.buf.len() {
            let b = self.buf[i];
            if b == b'\n' && self.last_was_cr && i == start {
                // The LF of a CRLF whose CR ended the previous line.
                self.last_was_cr = false;
                start = i + 1;
                i += 1;
                continue;
            }
            if b == b'\n' || b == b'\r' {
                self.last_was_cr = b == b'\r';
                let line = self.buf[start..i].to_vec();
                if let Err(e) = self.line(&line, out) {
                    self.clear();
                    return Err(e);
                }
                start = i + 1;
            }
            i += 1;
        }
        self.buf.drain(..start);
        self.scanned = self.buf.len();
        if self.buf.len() > self.max_line {
            self.clear();
            return Err(SseError::LineTooLong(self.max_line));
        }
        Ok(())
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        if line.is_empty() {
            if self.has_data {
                let event = if self.event.is_empty() { "message".to_owned() } else { std::mem::take(&mut self.event) };
                out.push(SseEvent { event, data: std::mem::take(&mut self.data), id: self.id.take() });
            }
            self.event.clear();
            self.data.clear();
            self.has_data = false;
            self.id = None;
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(());
        }
        let Ok(line) = std::str::from_utf8(line) else {
            self.odd_lines += 1;
            return Ok(());
        };
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event),
            "data" => {
                if self.data.len() + usize::from(self.has_data) + value.len() > self.max_event {
                    return Err(SseError::EventTooLarge(self.max_event));
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" => self.id = Some(value.to_owned()),
            "retry" => {}
            _ => self.odd_lines += 1,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(text: &str, piece: usize) -> (Vec<SseEvent>, u64) {
        let mut p = SseParser::new(1 << 20);
        let mut out = Vec::new();
        for chunk in text.as_bytes().chunks(piece) {
            p.push(chunk, &mut out).expect("within the line limit");
        }
        (out, p.odd_lines)
    }

    #[test]
    fn events_split_anywhere_parse_the_same() {
        let text = ": comment\nevent: batch\nid: 7\ndata: {\"seq\":7}\n\r\nevent: heartbeat\r\ndata: a\r\ndata: b\r\n\r\ndata: plain\r\rbogus line\n\n";
        for piece in [1, 2, 3, 5, 64] {
            let (events, odd) = parse_in_pieces(text, piece);
            assert_eq!(events.len(), 3, "piece {piece}");
            assert_eq!(events[0], SseEvent { event: "batch".into(), data: "{\"seq\":7}".into(), id: Some("7".into()) });
            assert_eq!(events[1].event, "heartbeat");
            assert_eq!(events[1].data, "a\nb");
            assert_eq!(events[2], SseEvent { event: "message".into(), data: "plain".into(), id: None });
            assert_eq!(odd, 1, "the bogus line is counted");
        }
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut p = SseParser::new(100);
        let mut out = Vec::new();
        assert_eq!(p.push(&[b'x'; 101], &mut out), Err(SseError::LineTooLong(100)));
    }

    #[test]
    fn an_event_of_many_short_data_lines_is_refused_at_its_limit_and_the_parser_starts_again() {
        let mut p = SseParser::new(200).with_max_event(1000);
        let mut out = Vec::new();
        // Each line is within the line limit; together they pass the event limit.
        let line = format!("data: {}\n", "y".repeat(99));
        let mut refused = None;
        for i in 0..20 {
            if let Err(e) = p.push(line.as_bytes(), &mut out) {
                refused = Some((i, e));
                break;
            }
        }
        let (i, e) = refused.expect("refused");
        assert_eq!(e, SseError::EventTooLarge(1000));
        assert_eq!(i, 10, "ten lines of 99 bytes and nine joins (999) fit; the eleventh does not");
        assert!(out.is_empty());
        // Nothing of the refused event is held or delivered later.
        p.push(b"\ndata: fresh\n\n", &mut out).expect("a fresh event");
        assert_eq!(out, [SseEvent { event: "message".into(), data: "fresh".into(), id: None }]);
        // Exactly at the limit is accepted.
        let mut p = SseParser::new(2000).with_max_event(1000);
        let exact = format!("data: {}\n\n", "z".repeat(1000));
        p.push(exact.as_bytes(), &mut out).expect("at the limit");
        assert_eq!(out.last().map(|e| e.data.len()), Some(1000));
    }
}
