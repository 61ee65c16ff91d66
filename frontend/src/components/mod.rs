//! Presentational components, one a file. They render what they are given and never fetch or
//! touch storage.

pub mod error_banner;
pub mod flow_timeline;
pub mod login_required;
pub mod mcp_result;
pub mod schema_form;
pub mod session_card;

pub use error_banner::ErrorBanner;
pub use flow_timeline::FlowTimeline;
pub use login_required::LoginRequired;
pub use session_card::SessionCard;
