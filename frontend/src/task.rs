//! The one way pages run async work: [`run`] boxes the future (one type-erased future type
//! instead of an `Action`/`LocalResource` per operation, each of which instantiated Leptos's
//! async machinery for its own future) and spawns it on the browser's microtask queue. Results
//! travel through the page's own signals; [`Busy`] counts the runs under way, so a button can be
//! disabled while its operation runs.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;

/// How many runs of one operation are under way.
#[derive(Clone, Copy)]
pub struct Busy(RwSignal<u32>);

impl Busy {
    #[must_use]
    pub fn new() -> Self {
        Self(RwSignal::new(0))
    }

    /// True while a run is under way (tracked).
    #[must_use]
    pub fn get(self) -> bool {
        self.0.get() > 0
    }

    /// [`Busy::get`] as a reactive attribute (e.g. a button's `disabled`).
    #[must_use]
    pub fn flag(self) -> crate::components::Flag {
        crate::components::flag(move || self.get())
    }
}

/// Runs `work` to its end, counted in `busy` (set at once, before the first poll) if given.
pub fn run(busy: Option<Busy>, work: impl Future<Output = ()> + 'static) {
    spawn(busy, Box::pin(work));
}

fn spawn(busy: Option<Busy>, work: Pin<Box<dyn Future<Output = ()>>>) {
    if let Some(Busy(n)) = busy {
        n.update(|n| *n += 1);
    }
    leptos::task::spawn_local(async move {
        work.await;
        if let Some(Busy(n)) = busy {
            n.update(|n| *n = n.saturating_sub(1));
        }
    });
}
