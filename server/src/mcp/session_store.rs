//! rmcp's `SessionStore` over our store: what lets a 2025-06-18 / 2025-11-25 MCP session opened
//! on one replica continue on another. rmcp saves the `initialize` parameters when a session
//! starts and, when a request names a session it does not hold, loads them and replays the
//! handshake (`SessionManager::restore_session`). Who may use the session is the bearer guard's
//! business (`guard`, `sessions`): it checks the owner recorded beside this state before rmcp
//! ever restores anything.

use async_trait::async_trait;
use rmcp::transport::streamable_http_server::session::{SessionState, SessionStore, SessionStoreError};

use crate::store::{now, SharedStore};

pub struct SharedSessions {
    store: SharedStore,
}

impl SharedSessions {
    pub fn new(store: SharedStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl SessionStore for SharedSessions {
    async fn load(&self, session_id: &str) -> Result<Option<SessionState>, SessionStoreError> {
        let Some(session) = self.store.find_mcp_session(session_id, now()).await? else {
            return Ok(None);
        };
        Ok(match session.state {
            Some(json) => Some(serde_json::from_str(&json)?),
            None => None,
        })
    }

    async fn store(&self, session_id: &str, state: &SessionState) -> Result<(), SessionStoreError> {
        let json = serde_json::to_string(state)?;
        self.store.save_mcp_session_state(session_id, &json, now()).await?;
        Ok(())
    }

    async fn delete(&self, session_id: &str) -> Result<(), SessionStoreError> {
        self.store.delete_mcp_session(session_id).await?;
        Ok(())
    }
}
