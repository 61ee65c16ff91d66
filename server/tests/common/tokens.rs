//! Access tokens made outside the flow: what this server would issue, signed with its own key.

use super::TestApp;

/// Claims for a token alice-like `user_id` would get from this server; tests then break one.
pub fn claims_for(app: &TestApp, user_id: &str, client_id: &str) -> server::oauth::jwt::AccessClaims {
    let now = server::store::now();
    server::oauth::jwt::AccessClaims {
        iss: app.as_url.clone(),
        sub: user_id.into(),
        aud: app.mcp_url.clone(),
        client_id: client_id.into(),
        scope: "user".into(),
        exp: now + 600,
        iat: now,
        nbf: None,
        jti: server::oauth::secrets::random_token(),
        gid: Some(server::oauth::secrets::random_token()),
    }
}

/// Signs `claims` with the server's own active key, as a forger who stole it would; the token is
/// also recorded in the store so that introspection at the AS considers it active.
pub async fn mint(app: &TestApp, claims: &server::oauth::jwt::AccessClaims) -> String {
    let keys = server::oauth::keys::KeyRing::load_or_create(&*app.store, server::store::now(), 3600).await.unwrap();
    let token = keys.sign(claims);
    let row = server::store::AccessToken {
        token_hash: server::oauth::secrets::hash(&token),
        client_id: claims.client_id.clone(),
        user_id: claims.sub.clone(),
        scope: claims.scope.clone(),
        audience: claims.aud.clone(),
        code_hash: None,
        issued_at: claims.iat,
        expires_at: claims.exp,
        revoked_at: None,
        family_id: claims.gid.clone(),
        jti: Some(claims.jti.clone()),
    };
    app.store.insert_access_token(&row).await.unwrap();
    token
}
