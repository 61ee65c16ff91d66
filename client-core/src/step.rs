//! The steps a login is shown as (the SPA's `data-step`, the CLI's progress lines) and the
//! [`Observer`] that is told about each.

use serde::{Deserialize, Serialize};

use crate::trace::Exchange;

/// Step identifiers, in flow order (the SPA's `data-step`).
pub mod ids {
    pub const UNAUTHENTICATED_REQUEST: &str = "unauthenticated-request";
    pub const PRM: &str = "prm";
    pub const AS_METADATA: &str = "as-metadata";
    pub const REGISTER: &str = "register";
    pub const AUTHORIZE_REDIRECT: &str = "authorize-redirect";
    pub const CALLBACK: &str = "callback";
    pub const TOKEN: &str = "token";
    /// A call was refused for lack of scope; the client asks for more (step-up).
    pub const STEP_UP: &str = "step-up";
    /// The refused call, retried after the step-up login.
    pub const RETRY: &str = "retry";
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Pending,
    Ok,
    Error,
}

impl StepStatus {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ok => "ok",
            Self::Error => "error",
        }
    }
}

/// One step: what it is, how it went, a sentence, and the HTTP exchanges it made.
/// (`Deserialize` is in `stored`: one shared field reader instead of a derived visitor.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub id: String,
    pub title: String,
    pub status: StepStatus,
    pub detail: String,
    #[serde(default)]
    pub exchanges: Vec<Exchange>,
}

/// Told about every step as it starts and ends (the same `id` is reported again).
pub trait Observer {
    fn step(&self, step: &Step);
}

/// An observer that ignores everything.
pub struct Quiet;

impl Observer for Quiet {
    fn step(&self, _: &Step) {}
}
