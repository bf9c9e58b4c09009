//! The `[control]` section: the control API.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The control API (a tablet, another console or a script drives the wall over HTTP).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ControlConfig {
    /// Address to listen on, `127.0.0.1:8790`; empty: no control API. Beyond loopback only with
    /// a token.
    pub listen: String,
    /// Bearer token every request but `/v1/health` must carry; never logged.
    /// `TWINHALL_CONTROL_TOKEN` in the environment overrides it.
    pub token: String,
}

impl ControlConfig {
    /// The address to listen on, when the API is on.
    pub fn addr(&self) -> Result<Option<std::net::SocketAddr>, String> {
        let listen = self.listen.trim();
        if listen.is_empty() {
            return Ok(None);
        }
        listen
            .parse()
            .map(Some)
            .map_err(|_| format!("`{listen}` is not an address and port, e.g. 127.0.0.1:8790 or 0.0.0.0:8790"))
    }

    /// Why the API must not start as configured: listening beyond loopback without a token.
    pub fn exposure_error(&self) -> Option<String> {
        match self.addr() {
            Ok(Some(addr)) if !addr.ip().is_loopback() && self.token.is_empty() => Some(format!(
                "the control API would listen on {addr}, beyond this machine, without a token: set control.token \
                 (or TWINHALL_CONTROL_TOKEN), or listen on 127.0.0.1"
            )),
            _ => None,
        }
    }
}

impl fmt::Debug for ControlConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControlConfig")
            .field("listen", &self.listen)
            .field("token", &if self.token.is_empty() { "" } else { "<redacted>" })
            .finish()
    }
}
