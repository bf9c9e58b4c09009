//! Encoding what the ticker publishes: a batch that cannot be encoded is skipped (clients see the
//! gap in sequence numbers and reload the snapshot), never in silence.

use serde::Serialize;

/// Batches that could not be encoded: each is skipped (clients see the gap and resync) and
/// logged with its cause; a run of failures with the same cause is logged once, then counted.
#[derive(Default)]
pub struct EncodeFailures {
    last_cause: Option<String>,
    /// Failures since the last line logged.
    repeated: u64,
}

impl EncodeFailures {
    /// The JSON of `value`, or `None` after logging why not.
    pub fn encode<T: Serialize>(&mut self, seq: u64, value: &T) -> Option<String> {
        match serde_json::to_string(value) {
            Ok(json) => Some(json),
            Err(e) => {
                let cause = e.to_string();
                if self.last_cause.as_deref() == Some(cause.as_str()) {
                    self.repeated += 1;
                } else {
                    let before = std::mem::take(&mut self.repeated);
                    tracing::error!(
                        "batch {seq} skipped: it could not be encoded: {cause} ({before} more skipped before with the previous cause); clients see a gap and reload"
                    );
                    self.last_cause = Some(cause);
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A value whose encoding fails with `cause`.
    struct Broken(&'static str);

    impl Serialize for Broken {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom(self.0))
        }
    }

    #[derive(Clone, Default)]
    struct Log(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Log {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_batch_that_cannot_be_encoded_is_logged_once_per_cause_with_the_cause() {
        let log = Log::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
        let mut failures = EncodeFailures::default();
        tracing::subscriber::with_default(subscriber, || {
            assert_eq!(failures.encode(1, &Broken("a map key that is not a string")), None);
            assert_eq!(failures.encode(2, &Broken("a map key that is not a string")), None);
            assert_eq!(failures.encode(3, &Broken("a map key that is not a string")), None);
            assert_eq!(failures.encode(4, &[1, 2]).as_deref(), Some("[1,2]"));
            assert_eq!(failures.encode(5, &Broken("another cause")), None);
        });
        let text = String::from_utf8_lossy(&log.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].contains("batch 1 skipped") && lines[0].contains("a map key that is not a string"), "{text}");
        assert!(lines[1].contains("batch 5 skipped") && lines[1].contains("another cause"), "{text}");
        assert!(lines[1].contains("2 more skipped before"), "the repeats are counted: {text}");
    }
}
