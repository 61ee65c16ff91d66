//! The flow timeline: every step of the login with its status and a sentence naming the HTTP
//! status and URL, like a tutorial client printing each step, and under it the step's HTTP
//! exchanges (secrets already redacted by the core), each expandable to its headers and bodies.

use client_core::Exchange;
use leptos::prelude::*;

use super::{attr, region, Region};
use crate::flow::{Step, StepStatus};

/// The steps, or nothing while there are none.
pub fn flow_timeline(steps: RwSignal<Vec<Step>>) -> Region {
    region(move || {
        let steps = steps.get();
        (!steps.is_empty()).then(|| {
            view! {
                <ol class="timeline" data-testid="flow-timeline">
                    {steps.into_iter().map(step_view).collect::<Vec<_>>()}
                </ol>
            }
            .into_any()
        })
    })
}

fn step_view(step: Step) -> AnyView {
    let label = match step.status {
        StepStatus::Pending => "…",
        StepStatus::Ok => "✓",
        StepStatus::Error => "✗",
    };
    let id_label = step.id.clone();
    let exchanges = step.exchanges;
    view! {
        <li
            class=match step.status {
                StepStatus::Pending => "step step-pending",
                StepStatus::Ok => "step step-ok",
                StepStatus::Error => "step step-error",
            }
            data-testid="flow-step"
            data-step=step.id
            data-status=step.status.as_str()
        >
            <span class="step-badge" {..attr("aria-hidden", "true")}>{label}</span>
            <div class="step-body">
                <div class="step-title">
                    {step.title} <span class="step-id">{id_label}</span>
                </div>
                <p class="step-detail">{step.detail}</p>
                {exchanges.into_iter().map(exchange_view).collect::<Vec<_>>()}
            </div>
        </li>
    }
    .into_any()
}

fn exchange_view(ex: Exchange) -> AnyView {
    let summary = ex.summary();
    let status = ex.status.map(|s| s.to_string()).unwrap_or_default();
    view! {
        <details class="exchange" data-exchange="" data-method=ex.method.clone() data-http-status=status>
            <summary>{summary}</summary>
            <pre>{ex.render()}</pre>
        </details>
    }
    .into_any()
}
