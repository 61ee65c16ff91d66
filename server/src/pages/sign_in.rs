//! The password check behind the login form, in an order that keeps the server responsive and
//! the throttle exact: the caller holds a hashing permit (taken before any other work, so a busy
//! server answers 503 cheaply and counts nothing), then the attempt is reserved per username and
//! per client address (each one statement that counts and decides), then argon2 runs on a
//! blocking thread.

use std::net::IpAddr;

use crate::http::client_addr::network_key;
use crate::http::AppState;
use crate::oauth::password::HashPermit;
use crate::store::{now, Reservation, ThrottlePolicy, User};

/// Per username: this many attempts are free, then each one doubles a lock-out window that starts
/// at `THROTTLE_BASE_SECS` and stops growing at `THROTTLE_CAP_SECS`.
const THROTTLE_FREE: i64 = 5;
const THROTTLE_BASE_SECS: i64 = 30;
const THROTTLE_CAP_SECS: i64 = 15 * 60;

pub enum Outcome {
    /// Right password of an active account; the username's throttle is reset.
    SignedIn(User),
    /// Wrong password or unknown/disabled account (the same answer for each).
    Failed,
    /// Locked out; the message says by what and for how long.
    Throttled(String),
    /// The throttle could not be consulted: nothing was evaluated.
    Unavailable,
}

pub async fn check(state: &AppState, permit: HashPermit, client: IpAddr, username: &str, password: &str) -> Outcome {
    // Throttled by username whether or not the account exists, so the answer reveals nothing;
    // and by address, which catches one source spraying passwords over many usernames.
    let user_key = format!("user:{}", username.to_lowercase());
    let user_policy = ThrottlePolicy { free: THROTTLE_FREE, base: THROTTLE_BASE_SECS, cap: THROTTLE_CAP_SECS };
    let address_key = format!("addr:{}", network_key(client)); // IPv6: per /64
    let address_policy = ThrottlePolicy { free: state.settings.login_failures_per_address, ..user_policy };
    let store = &*state.store;
    match store.throttle_reserve(&user_key, now(), user_policy).await {
        Ok(Reservation::Allowed(_)) => {}
        Ok(Reservation::Locked(wait)) => {
            return Outcome::Throttled(format!(
                "Too many failed sign-in attempts for this account. Try again in {wait} seconds."
            ))
        }
        Err(e) => {
            tracing::error!(error = %e, "could not reserve a sign-in attempt");
            return Outcome::Unavailable;
        }
    }
    let refund_user = || async {
        if let Err(e) = store.throttle_refund(&user_key, user_policy.free).await {
            tracing::warn!(error = %e, "could not take back a reserved sign-in attempt");
        }
    };
    match store.throttle_reserve(&address_key, now(), address_policy).await {
        Ok(Reservation::Allowed(_)) => {}
        Ok(Reservation::Locked(wait)) => {
            refund_user().await;
            tracing::warn!(%client, "sign-in attempts from this address are throttled");
            return Outcome::Throttled(format!(
                "Too many failed sign-in attempts from your network. Try again in {wait} seconds."
            ));
        }
        Err(e) => {
            refund_user().await;
            tracing::error!(error = %e, "could not reserve a sign-in attempt");
            return Outcome::Unavailable;
        }
    }
    let user = store.find_user_by_username(username).await.ok().flatten();
    let stored = user.as_ref().map(|u| u.password_hash.as_str());
    let password_ok = match state.passwords.verify(permit, password, stored).await {
        Ok(ok) => ok,
        Err(e) => {
            tracing::error!(error = %e, "the password check did not complete");
            false
        }
    };
    let Some(user) = user.filter(|u| password_ok && u.status == "active") else {
        state.metrics.failed_sign_ins.inc();
        return Outcome::Failed;
    };
    if let Err(e) = store.throttle_reset(&user_key).await {
        tracing::warn!(error = %e, "could not reset the sign-in throttle");
    }
    // A success is not a failure of its address: many people may sign in from one network.
    if let Err(e) = store.throttle_refund(&address_key, address_policy.free).await {
        tracing::warn!(error = %e, "could not take back a reserved sign-in attempt");
    }
    Outcome::SignedIn(user)
}
