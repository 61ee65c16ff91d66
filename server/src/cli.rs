//! Command-line administration: `server user add` (no user is built into the server; the run
//! script creates a development user through this) and `server keys rotate|list|revoke`.

use std::io::Read as _;

use crate::config::UserAdd;
use crate::error::Error;
use crate::oauth::keys::{self, PUBLISH_BEFORE_SIGNING_SECS};
use crate::oauth::password::PasswordHasher;
use crate::store::{now, NewUser, Store};

const MIN_PASSWORD_LEN: usize = 8;

pub async fn user_add(store: &dyn Store, args: UserAdd) -> Result<String, Error> {
    let username = args.username.trim();
    if username.is_empty()
        || username.len() > 64
        || !username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(Error::Config("username must be 1-64 characters of letters, digits, '.', '_', '-', '@'".into()));
    }
    let password = match (args.password_stdin, args.password) {
        (true, _) => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).map_err(|e| Error::Config(format!("reading password: {e}")))?;
            s.trim_end_matches(['\r', '\n']).to_owned()
        }
        (false, Some(p)) => p,
        (false, None) => return Err(Error::Config("give --password-stdin (recommended) or --password".into())),
    };
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::Config(format!("password must be at least {MIN_PASSWORD_LEN} characters")));
    }
    let display_name = args.name.unwrap_or_else(|| username.to_owned());
    // argon2 on a blocking thread, not on the runtime's workers.
    let password_hash = PasswordHasher::for_this_machine().hash(&password).await?;
    let new = NewUser {
        username,
        password_hash: password_hash.clone(),
        display_name: &display_name,
        email: args.email.as_deref(),
    };
    match store.create_user(new, now()).await {
        Ok(user) => Ok(format!("created user {} ({})", user.username, user.id)),
        Err(Error::Conflict) if args.replace => {
            let new = NewUser {
                username,
                password_hash: password_hash.clone(),
                display_name: &display_name,
                email: args.email.as_deref(),
            };
            store.update_user(new).await?;
            // Whoever knew the old password may hold sessions and tokens from it: end them all.
            let ended = end_sessions(store, username).await?;
            Ok(format!("updated password of user {username}; ended their login sessions and {ended} grant(s)"))
        }
        Err(Error::Conflict) => {
            Err(Error::Config(format!("user {username} already exists (use --replace to reset the password)")))
        }
        Err(e) => Err(e),
    }
}

/// `server user disable`: refuses further sign-ins and ends every session and grant at once.
pub async fn user_disable(store: &dyn Store, username: &str) -> Result<String, Error> {
    if !store.set_user_status(username, "disabled").await? {
        return Err(Error::Config(format!("no user {username}")));
    }
    let ended = end_sessions(store, username).await?;
    Ok(format!("disabled user {username}; ended their login sessions and {ended} grant(s)"))
}

async fn end_sessions(store: &dyn Store, username: &str) -> Result<u64, Error> {
    let user = store.find_user_by_username(username).await?.ok_or(Error::NotFound)?;
    store.revoke_user_sessions(&user.id, now()).await
}

pub async fn keys_rotate(store: &dyn Store) -> Result<String, Error> {
    let (kid, retired) = keys::rotate(store, now()).await?;
    let retired = if retired.is_empty() { "none".to_owned() } else { retired.join(", ") };
    Ok(format!(
        "new signing key {kid} is published now and signs from {PUBLISH_BEFORE_SIGNING_SECS} s on (once every replica and \
         resource server can know it); retired: {retired} (still published until the tokens they signed expire)"
    ))
}

pub async fn keys_revoke(store: &dyn Store, kid: &str) -> Result<String, Error> {
    let replacement = keys::revoke(store, kid, now()).await?;
    let active = match replacement {
        Some(new) => format!("; it was the active key, so new key {new} signs from now on"),
        None => String::new(),
    };
    Ok(format!(
        "signing key {kid} is revoked: no longer published or used{active}. A running server follows within {} s",
        crate::KEY_RELOAD_INTERVAL.as_secs()
    ))
}

pub async fn keys_list(store: &dyn Store) -> Result<String, Error> {
    let mut out = String::new();
    for row in store.all_signing_keys().await? {
        let status = match (row.revoked_at, row.retired_at) {
            (Some(t), _) => format!("revoked at {t}"),
            (None, None) => "active".to_owned(),
            (None, Some(t)) => format!("retired at {t}"),
        };
        out.push_str(&format!("{}\tcreated at {}\t{status}\n", row.kid, row.created_at));
    }
    Ok(out)
}
