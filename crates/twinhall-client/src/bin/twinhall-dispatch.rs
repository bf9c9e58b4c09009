//! `twinhall-dispatch`: sends a dispatch order the way the wall does, for a duty officer at a
//! terminal and for tests. The order is written to the journal (SQLite) before it is sent and
//! carries a fresh idempotency key; it waits for the answer and prints the order id.
//!
//! ```text
//! twinhall-dispatch --feed URL [--token-env VAR] --journal FILE --incident ID --units U1,U2 [--note TEXT]
//! twinhall-dispatch --feed URL [--token-env VAR] --journal FILE --resend
//! ```
//!
//! `--resend` sends again, with the same keys and bodies, what the journal holds as pending or
//! unconfirmed (after a crash, or a backend that did not answer). The token is read from the
//! environment variable `--token-env` names, never from the command line, and never printed.
//!
//! Prints `accepted key=K order_id=O incident=I`, `rejected key=K reason=R` or
//! `unconfirmed key=K ...` per order. Exit code 0 when every order was accepted (or there was
//! nothing to resend), 1 when one was rejected, 3 when one is still unconfirmed (it stays in the
//! journal for `--resend`), 2 for errors in the arguments or the journal.
//!
//! Fault injection for tests: `TWINHALL_DISPATCH_PAUSE=after_journal` stops (prints
//! `paused after_journal key=K` and sleeps) once the order is on disk and before it is sent;
//! `after_send` stops once the backend's answer has arrived, before the journal records it.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use crossbeam_channel::Receiver;
use twinhall_client::ClientConfig;
use twinhall_client::outbox::{DispatchSink, HttpSink, Outbox, SendError};
use twinhall_core::hub::journal::{Journal, OrderStatus};
use twinhall_core::protocol::{DispatchOrder, DispatchRequest, now_ms};

/// The fault-injection variable.
const PAUSE_ENV: &str = "TWINHALL_DISPATCH_PAUSE";

#[derive(Parser, Debug)]
#[command(name = "twinhall-dispatch", version, about = "Send a dispatch order through the journal, exactly once")]
struct Cli {
    /// The backend's base URL, e.g. http://127.0.0.1:8600.
    #[arg(long)]
    feed: String,
    /// The environment variable holding the bearer token (none if unset or empty).
    #[arg(long, default_value = "TWINHALL_FEED_TOKEN")]
    token_env: String,
    /// Extra trusted root certificates (PEM) for a backend with a private CA.
    #[arg(long)]
    ca: Option<PathBuf>,
    /// The dispatch journal (SQLite; created if missing).
    #[arg(long)]
    journal: PathBuf,
    /// The incident to send units to.
    #[arg(long, required_unless_present = "resend", conflicts_with = "resend")]
    incident: Option<String>,
    /// Units to send, comma-separated.
    #[arg(long, value_delimiter = ',', required_unless_present = "resend", conflicts_with = "resend")]
    units: Vec<String>,
    /// A note for the units.
    #[arg(long, default_value = "", conflicts_with = "resend")]
    note: String,
    /// Send again what the journal holds as pending or unconfirmed, instead of a new order.
    #[arg(long)]
    resend: bool,
    /// Seconds to wait for the answers; orders still unanswered stay in the journal (exit 3).
    #[arg(long, default_value_t = 60)]
    wait: u64,
}

/// Where to stop, for fault-injection tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pause {
    AfterJournal,
    AfterSend,
}

impl Pause {
    fn from_env() -> Result<Option<Self>, String> {
        match std::env::var(PAUSE_ENV).unwrap_or_default().as_str() {
            "" => Ok(None),
            "after_journal" => Ok(Some(Self::AfterJournal)),
            "after_send" => Ok(Some(Self::AfterSend)),
            other => Err(format!("{PAUSE_ENV}={other:?}: expected after_journal or after_send")),
        }
    }
}

/// The HTTP sink, stopping where the pause says.
struct Sink {
    inner: HttpSink,
    pause: Option<Pause>,
}

/// Prints the marker a test waits for, then sleeps until killed.
fn hold(line: &str) -> ! {
    println!("{line}");
    let _ = std::io::stdout().flush();
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

impl DispatchSink for Sink {
    fn send(&self, key: &str, request: &DispatchRequest) -> Receiver<Result<DispatchOrder, SendError>> {
        match self.pause {
            // The outbox sends only after the journal write returned: the order is on disk.
            Some(Pause::AfterJournal) => hold(&format!("paused after_journal key={key}")),
            Some(Pause::AfterSend) => {
                // The request reached the backend and its answer is here; the journal has not
                // recorded it.
                let answer = match self.inner.send(key, request).recv() {
                    Ok(Ok(order)) => format!("order_id={}", order.order_id),
                    Ok(Err(e)) => format!("error={e}"),
                    Err(_) => "error=no answer".to_owned(),
                };
                hold(&format!("paused after_send key={key} {answer}"))
            }
            None => self.inner.send(key, request),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("twinhall-dispatch: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<u8, String> {
    let pause = Pause::from_env()?;
    let token = std::env::var(&cli.token_env).unwrap_or_default();
    let mut config = ClientConfig::new(cli.feed.clone(), token);
    if let Some(ca) = &cli.ca {
        config.ca_pem = Some(std::fs::read(ca).map_err(|e| format!("--ca {}: {e}", ca.display()))?);
    }
    let sink = Sink { inner: HttpSink::new(config)?, pause };
    let journal = Journal::open(&cli.journal).map_err(|e| e.to_string())?;
    let mut outbox = Outbox::new(journal, Box::new(sink));
    let keys = if cli.resend {
        let keys: Vec<String> =
            outbox.journal().resendable().map_err(|e| e.to_string())?.into_iter().map(|o| o.key).collect();
        let sent = outbox.resend_all(now_ms());
        if sent == 0 {
            println!("nothing to resend");
            return Ok(0);
        }
        keys
    } else {
        let request = DispatchRequest {
            incident_id: cli.incident.clone().unwrap_or_default(),
            unit_ids: cli.units.iter().map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).collect(),
            note: cli.note.clone(),
        };
        if request.unit_ids.is_empty() {
            return Err("--units: no unit given".into());
        }
        let key = outbox.submit(request, now_ms()).map_err(|e| format!("{e}; nothing was sent"))?;
        println!("sent key={key}");
        vec![key]
    };
    Ok(wait(&mut outbox, &keys, Duration::from_secs(cli.wait), &cli.journal))
}

/// Follows the orders until each is answered or the time is up; returns the exit code.
fn wait(outbox: &mut Outbox, keys: &[String], wait: Duration, journal: &std::path::Path) -> u8 {
    let deadline = Instant::now() + wait;
    let mut rejected = false;
    let mut open: Vec<&String> = keys.iter().collect();
    while !open.is_empty() && Instant::now() < deadline {
        for u in outbox.poll(now_ms()) {
            match u.status {
                OrderStatus::Accepted => println!(
                    "accepted key={} order_id={} incident={}",
                    u.key,
                    u.order_id.as_deref().unwrap_or("?"),
                    u.incident_id
                ),
                OrderStatus::Rejected => {
                    rejected = true;
                    println!("rejected key={} reason={}", u.key, u.reason.as_deref().unwrap_or(""));
                }
                OrderStatus::Unconfirmed => eprintln!(
                    "twinhall-dispatch: {} unconfirmed ({}); resending with the same key",
                    u.key,
                    u.reason.as_deref().unwrap_or("no answer")
                ),
                OrderStatus::Pending => {}
            }
            if u.status.is_final() {
                open.retain(|k| **k != u.key);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    for k in &open {
        println!("unconfirmed key={k}: kept in {}; send it again with --resend", journal.display());
    }
    if !open.is_empty() {
        3
    } else if rejected {
        1
    } else {
        0
    }
}
