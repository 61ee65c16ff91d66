//! The "Update profile" form: a display-name field whose submit runs `update_profile`, the
//! latest result, and the step-up timeline (shown once the server asked for more scope).

use leptos::prelude::*;

use super::FlowTimeline;
use crate::flow::Step;

#[component]
pub fn ProfileForm(
    /// The scope the tool needs, shown so the user knows a consent may follow.
    needs: String,
    #[prop(into)] result: Signal<Option<String>>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] steps: Signal<Vec<Step>>,
    on_submit: Callback<String>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    view! {
        <section class="card" data-testid="profile-form">
            <h2>"Tool: update_profile"</h2>
            <p class="muted">
                {format!(
                    "tools/call update_profile {{\"display_name\": …}}. Needs the scope \"{needs}\": if this session \
                     lacks it, the server answers 403 insufficient_scope and this app asks you for it, then retries."
                )}
            </p>
            <form on:submit=move |ev| {
                ev.prevent_default();
                on_submit.run(name.get_untracked());
            }>
                <label for="display-name">"New display name"</label>
                <div class="row">
                    <input
                        id="display-name"
                        data-testid="display-name"
                        type="text"
                        maxlength="200"
                        prop:value=name
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                    <button data-testid="update-profile" type="submit" disabled=move || busy.get()>
                        "Update profile"
                    </button>
                </div>
            </form>
            <Show when=move || busy.get()>
                <span class="muted working">" Working…"</span>
            </Show>
            {move || {
                result.get().map(|text| view! { <pre class="result" data-testid="update-profile-result">{text}</pre> })
            }}
            <div data-testid="step-up-timeline">
                <FlowTimeline steps />
            </div>
        </section>
    }
}
