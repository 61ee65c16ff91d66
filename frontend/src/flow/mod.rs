//! The login flow as a visible timeline. The flow itself — which request, what each answer
//! means, what to check — is `client_core`'s; this module owns the reactive [`Timeline`] the
//! pages render, which is the core's [`Observer`]. `discovery` runs the steps up to the
//! redirect, `callback` the steps after it, `refresh` keeps the session alive and `step_up` asks
//! for more scope when a call is refused with `insufficient_scope`; each is a thin call into
//! the core plus the browser's part (storage, navigation).

pub mod callback;
pub mod discovery;
pub mod refresh;
pub mod step_up;

pub use client_core::flow::{ids, Step, StepStatus};
use client_core::Observer;
use leptos::prelude::*;

/// A reactive list of steps; `Copy`, so async flow code and views can share it.
#[derive(Clone, Copy)]
pub struct Timeline(RwSignal<Vec<Step>>);

impl Timeline {
    #[must_use]
    pub fn new(steps: Vec<Step>) -> Self {
        Self(RwSignal::new(steps))
    }

    #[must_use]
    pub fn signal(self) -> RwSignal<Vec<Step>> {
        self.0
    }

    #[must_use]
    pub fn snapshot(self) -> Vec<Step> {
        self.0.get_untracked()
    }

    pub fn clear(self) {
        self.0.set(Vec::new());
    }

    /// Shows `step`, replacing the step with the same id (a step reported again as it ends).
    pub fn show(self, step: Step) {
        self.0.update(|steps| match steps.iter_mut().find(|s| s.id == step.id) {
            Some(existing) => *existing = step,
            None => steps.push(step),
        });
    }

    /// Adds a pending step of the page's own (or resets the step with this id to pending).
    pub fn start(self, id: &str, title: &str, detail: impl Into<String>) {
        let status = StepStatus::Pending;
        self.show(Step { id: id.into(), title: title.into(), status, detail: detail.into(), exchanges: Vec::new() });
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
}

impl Observer for Timeline {
    fn step(&self, step: &Step) {
        self.show(step.clone());
    }
}
