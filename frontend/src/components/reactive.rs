//! Few types for the views: tachys instantiates its render code once per type, and with
//! `erase_components` once per distinct child and attribute type. So every reactive part is
//! a boxed closure of one of two types ([`Region`], [`Flag`]; a plain `move ||` per place cost
//! ~1.3 KB of code each), every event handler one boxed type per event kind, sibling parts one
//! `Vec<AnyView>`, and rarer attributes the custom-attribute type `data-*` already has.

use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::{custom_attribute, CustomAttr};
use leptos::tachys::html::attribute::AttributeValue;

/// A part of a page built again whenever a signal it reads changes; `None` shows nothing.
pub type Region = Box<dyn FnMut() -> Option<AnyView> + Send>;
/// A boolean attribute or property that follows the signals it reads.
pub type Flag = Box<dyn FnMut() -> bool + Send>;

/// Sibling views as one: a `Vec<AnyView>`, one type for every multi-part view, where the
/// tuple a `view!` with several roots makes is a type (and render code) of its own.
pub fn siblings(parts: Vec<AnyView>) -> AnyView {
    parts.into_any()
}

/// An event handler, of one type per kind of event: tachys builds its listener code once per
/// handler type, and each `move |ev| …` is a type of its own.
pub type Handler<E> = Box<dyn FnMut(E)>;

pub fn handler<E>(f: impl FnMut(E) + 'static) -> Handler<E> {
    Box::new(f)
}

/// The handler that copies an input's value into `value` as it changes.
pub fn typed_into(value: RwSignal<String>) -> Handler<leptos::ev::Event> {
    handler(move |ev: leptos::ev::Event| value.set(event_target_value(&ev)))
}

/// An attribute set by name (`setAttribute`), of the one type every `data-*` attribute
/// already has: each attribute the view macro knows (`href`, `id`, `rows`, …) is a type of
/// its own, with its own erased render code.
pub fn attr<V: AttributeValue>(name: &'static str, value: V) -> CustomAttr<&'static str, V> {
    custom_attribute(name, value)
}

pub fn region(f: impl Fn() -> Option<AnyView> + Send + 'static) -> Region {
    Box::new(f)
}

/// Text that follows the signals it reads: a [`Region`] of a string (tachys updates the text
/// node in place), so text needs no render-effect code of its own.
pub fn text(f: impl Fn() -> String + Send + 'static) -> Region {
    region(move || Some(f().into_any()))
}

pub fn flag(f: impl Fn() -> bool + Send + 'static) -> Flag {
    Box::new(f)
}
