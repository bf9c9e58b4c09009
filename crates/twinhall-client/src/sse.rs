//! An incremental Server-Sent Events parser (the WHATWG event-stream format): bytes in, events
//! out, lines split on LF, CRLF or CR, `data:` lines joined with LF, comments ignored. A line
//! longer than the limit is an error, so a broken server cannot make the client hold unbounded
//! memory.

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
    /// Lines that were not valid UTF-8 or had an unknown field (skipped, counted).
    pub odd_lines: u64,
}

impl SseParser {
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
            odd_lines: 0,
        }
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
                self.line(&line, out);
                start = i + 1;
            }
            i += 1;
        }
        self.buf.drain(..start);
        self.scanned = self.buf.len();
        if self.buf.len() > self.max_line {
            self.buf.clear();
            self.scanned = 0;
            return Err(SseError::LineTooLong(self.max_line));
        }
        Ok(())
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_data {
                let event = if self.event.is_empty() { "message".to_owned() } else { std::mem::take(&mut self.event) };
                out.push(SseEvent { event, data: std::mem::take(&mut self.data), id: self.id.take() });
            }
            self.event.clear();
            self.data.clear();
            self.has_data = false;
            self.id = None;
            return;
        }
        if line[0] == b':' {
            return;
        }
        let Ok(line) = std::str::from_utf8(line) else {
            self.odd_lines += 1;
            return;
        };
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event),
            "data" => {
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
}
