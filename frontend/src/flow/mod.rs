//! The login flow as a visible timeline. This module owns the step model and the [`Timeline`]
//! handle pages render; `discovery` runs the steps up to the redirect and `callback` the steps
//! after it; `refresh` keeps the resulting session alive afterwards with the refresh token, and
//! `step_up` asks for more scope when a tool call is refused with `insufficient_scope`. The
//! flow modules decide what each HTTP answer means; the requests themselves are made only by
//! `crate::api`.

pub mod callback;
pub mod discovery;
pub mod refresh;
pub mod step_up;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Step identifiers, in flow order (`data-step` in the page).
pub mod ids {
    pub const UNAUTHENTICATED_REQUEST: &str = "unauthenticated-request";
    pub const PRM: &str = "prm";
    pub const AS_METADATA: &str = "as-metadata";
    pub const REGISTER: &str = "register";
    pub const AUTHORIZE_REDIRECT: &str = "authorize-redirect";
    pub const CALLBACK: &str = "callback";
    pub const TOKEN: &str = "token";
    /// A tool call was refused for lack of scope; the app asks for more (step-up).
    pub const STEP_UP: &str = "step-up";
    /// The refused call, retried once after the step-up login.
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
    /// The `data-status` value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ok => "ok",
            Self::Error => "error",
        }
    }
}

/// One step: what it is, how it went, and a sentence with the HTTP status and URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    pub title: String,
    pub status: StepStatus,
    pub detail: String,
}

/// A reactive list of steps; `Copy`, so async flow code and views can share it.
#[derive(Clone, Copy)]
pub struct Timeline(RwSignal<Vec<Step>>);

impl Timeline {
    #[must_use]
    pub fn new(steps: Vec<Step>) -> Self {
        Self(RwSignal::new(steps))
    }

    #[must_use]
    pub fn signal(self) -> Signal<Vec<Step>> {
        self.0.into()
    }

    #[must_use]
    pub fn snapshot(self) -> Vec<Step> {
        self.0.get_untracked()
    }

    pub fn clear(self) {
        self.0.set(Vec::new());
    }

    /// Adds a pending step (or resets the step with this id to pending).
    pub fn start(self, id: &str, title: &str, detail: impl Into<String>) {
        let step =
            Step { id: id.to_owned(), title: title.to_owned(), status: StepStatus::Pending, detail: detail.into() };
        self.0.update(|steps| match steps.iter_mut().find(|s| s.id == id) {
            Some(existing) => *existing = step,
            None => steps.push(step),
        });
    }

    pub fn ok(self, id: &str, detail: impl Into<String>) {
        self.finish(id, StepStatus::Ok, detail.into());
    }

    pub fn fail(self, id: &str, detail: impl Into<String>) {
        self.finish(id, StepStatus::Error, detail.into());
    }

    fn finish(self, id: &str, status: StepStatus, detail: String) {
        self.0.update(|steps| {
            if let Some(step) = steps.iter_mut().find(|s| s.id == id) {
                step.status = status;
                step.detail = detail;
            }
        });
    }

    /// Runs one step: shows it as pending, then as ok with the sentence the step returns, or as
    /// an error with the error's sentence (the error is passed on so the page can show it too).
    pub async fn step<T>(
        self,
        id: &str,
        title: &str,
        pending: String,
        work: impl std::future::Future<Output = Result<(T, String), crate::error::ClientError>>,
    ) -> Result<T, crate::error::ClientError> {
        self.start(id, title, pending);
        match work.await {
            Ok((value, detail)) => {
                self.ok(id, detail);
                Ok(value)
            }
            Err(e) => {
                self.fail(id, e.to_string());
                Err(e)
            }
        }
    }
}
