//! Interop: rmcp's own OAuth client (`auth` feature) runs the whole MCP authorization flow
//! against the server, unmodified: 401 challenge → protected resource metadata → AS metadata →
//! dynamic registration → authorization URL (PKCE S256, `resource`) → code exchange → MCP calls.
//! The login and consent pages are submitted as HTML forms with their CSRF fields and cookie,
//! as the other flow tests do; the TypeScript and Python SDK legs (tests/interop/) use a real
//! browser instead.

use reqwest::header::LOCATION;
use reqwest::StatusCode;
use rmcp::model::CallToolRequestParams;
use rmcp::service::{ClientInitializeError, RoleClient, RunningService};
use rmcp::transport::auth::{AuthClient, AuthorizationManager, AuthorizationRequest, OAuthState};
use rmcp::transport::streamable_http_client::{
    StreamableHttpClientTransport, StreamableHttpClientTransportConfig, StreamableHttpError,
};
use rmcp::ServiceExt;
use serde_json::Value;
use url::Url;

use crate::common::{spawn_app, TestApp, PASSWORD};

/// The loopback redirect URI the client registers. Nothing listens there: the form-driving
/// "browser" below reads the code from the 302 instead of following it.
const CALLBACK: &str = "http://127.0.0.1:18090/callback";

type Client = AuthClient<reqwest013::Client>;

fn transport(app: &TestApp, client: Client) -> StreamableHttpClientTransport<Client> {
    StreamableHttpClientTransport::with_client(
        client,
        StreamableHttpClientTransportConfig::with_uri(app.mcp_url.clone()),
    )
}

/// What rmcp's client reports when it connects without a token: the server's challenge.
async fn challenge(app: &TestApp) -> String {
    let manager = AuthorizationManager::new(app.mcp_url.as_str()).await.unwrap();
    let unauthenticated = AuthClient::new(reqwest013::Client::new(), manager);
    let err = ().serve(transport(app, unauthenticated)).await.expect_err("the server must ask for a token");
    let ClientInitializeError::TransportError { error, .. } = &err else { panic!("not a transport error: {err:?}") };
    let http = error.error.downcast_ref::<StreamableHttpError<reqwest013::Error>>();
    let header =
        http.and_then(|e| e.auth_challenge()).unwrap_or_else(|| panic!("no WWW-Authenticate challenge: {err:?}"));
    assert!(matches!(http, Some(StreamableHttpError::AuthRequired(_))), "401, not 403: {err:?}");
    header.to_owned()
}

/// rmcp discovers, registers and builds the authorization URL from the challenge alone.
async fn start(app: &TestApp) -> (OAuthState, Url) {
    let header = challenge(app).await;
    assert!(header.starts_with("Bearer ") && header.contains("resource_metadata="), "{header}");
    let mut state = OAuthState::new(app.mcp_url.as_str(), None).await.unwrap();
    let request = AuthorizationRequest::new(CALLBACK).with_client_name("rmcp interop client").with_challenge(header);
    state.start_authorization(request).await.unwrap();
    let url = Url::parse(&state.get_authorization_url().await.unwrap()).unwrap();
    (state, url)
}

fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Signs in as `username` on the real login page and answers the consent page with `decision`;
/// returns the URL the browser is sent back to.
async fn sign_in_and_decide(app: &TestApp, authorize: &Url, username: &str, decision: &str) -> Url {
    let form = app.open_login(authorize.as_str()).await;
    let consent = app.login(&form, username, PASSWORD).await;
    assert_eq!(consent.status(), StatusCode::OK, "consent page expected");
    assert!(consent.text().await.unwrap().contains("rmcp interop client"), "consent names the client");
    let back = app.decide(&form, decision).await;
    assert_eq!(back.status(), StatusCode::FOUND);
    Url::parse(back.headers()[LOCATION].to_str().unwrap()).unwrap()
}

async fn connect(app: &TestApp, manager: AuthorizationManager) -> (RunningService<RoleClient, ()>, Client) {
    let client = AuthClient::new(reqwest013::Client::new(), manager);
    let service = ().serve(transport(app, client.clone())).await.expect("MCP initialize with the token");
    (service, client)
}

async fn user_data(service: &RunningService<RoleClient, ()>) -> Value {
    let result = service.call_tool(CallToolRequestParams::new("get_user_data")).await.unwrap();
    assert_eq!(result.is_error, Some(false), "{result:?}");
    result.structured_content.expect("structured user data")
}

#[tokio::test]
async fn rmcp_auth_client_completes_the_flow_and_reads_the_signed_in_users_data() {
    let app = spawn_app().await;
    let alice = app.add_user("alice").await;
    app.add_user("bob").await;

    let (mut state, authorize) = start(&app).await;
    assert!(authorize.as_str().starts_with(&format!("{}/authorize?", app.as_url)), "{authorize}");
    assert_eq!(query(&authorize, "code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(query(&authorize, "resource").as_deref(), Some(app.mcp_url.as_str()));
    assert_eq!(query(&authorize, "redirect_uri").as_deref(), Some(CALLBACK));
    let client_id = query(&authorize, "client_id").expect("client_id from dynamic registration");
    assert!(app.store.find_client(&client_id).await.unwrap().is_some(), "the client was registered");

    let back = sign_in_and_decide(&app, &authorize, "alice", "allow").await;
    assert!(back.as_str().starts_with(CALLBACK), "{back}");
    assert_eq!(query(&back, "iss").as_deref(), Some(app.as_url.as_str()));
    state.handle_callback_url(back.as_str()).await.expect("code exchange with PKCE and resource");
    let manager = state.into_authorization_manager().expect("authorized");

    let (service, client) = connect(&app, manager).await;
    let tools = service.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "get_user_data"), "{tools:?}");
    let data = user_data(&service).await;
    assert_eq!(data["user_id"], alice.as_str(), "{data}");
    assert_eq!(data["username"], "alice", "{data}");

    // rmcp registered the refresh_token grant: its refresh yields a new, working access token.
    let before = client.get_access_token().await.unwrap();
    client.auth_manager.lock().await.refresh_token().await.expect("refresh grant");
    let after = client.get_access_token().await.unwrap();
    assert_ne!(before, after, "a refresh issues a new access token");
    app.mcp_session(&after).await; // initialize succeeds with the refreshed token
    service.cancel().await.unwrap();
}

#[tokio::test]
async fn rmcp_auth_client_gets_no_token_when_the_user_denies() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let (mut state, authorize) = start(&app).await;

    let back = sign_in_and_decide(&app, &authorize, "alice", "deny").await;
    assert_eq!(query(&back, "error").as_deref(), Some("access_denied"), "{back}");
    assert_eq!(query(&back, "code"), None);
    assert!(state.handle_callback_url(back.as_str()).await.is_err(), "no code, no token");
    assert!(state.into_authorization_manager().is_none(), "the client stays unauthorized");
}
