//! Presentational components, one a file. They render what they are given and never fetch or
//! touch storage.

pub mod error_banner;
pub mod flow_timeline;
pub mod item_list;
pub mod login_required;
pub mod profile_form;
pub mod result_panel;
pub mod session_card;

pub use error_banner::ErrorBanner;
pub use flow_timeline::FlowTimeline;
pub use item_list::ItemList;
pub use login_required::LoginRequired;
pub use profile_form::ProfileForm;
pub use result_panel::ResultPanel;
pub use session_card::SessionCard;
