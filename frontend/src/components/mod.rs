//! Presentational components, one a file. They render what they are given and never fetch or
//! touch storage.

pub mod error_banner;
pub mod flow_timeline;
pub mod login_required;
pub mod mcp_result;
pub mod reactive;
pub mod schema_form;
pub mod session_card;

pub use error_banner::{banner, error_banner};
pub use flow_timeline::flow_timeline;
pub use login_required::login_required;
pub use reactive::{attr, flag, handler, region, siblings, text, typed_into, Flag, Region};
pub use session_card::{session_card, working};
