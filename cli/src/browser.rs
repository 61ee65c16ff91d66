//! Opening the system browser: `xdg-open` (or `open` on macOS); failing that, the URL is printed
//! so the user can open it by hand.

use std::process::{Command, Stdio};

/// Tries to open `url`; returns false when no opener could be started.
pub fn open(url: &str) -> bool {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    Command::new(opener).arg(url).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().is_ok()
}
