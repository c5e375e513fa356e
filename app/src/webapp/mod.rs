//! The web app served by `blsd start` at `/app/`: connect Keplr, MetaMask or Martian, sign in
//! ([`signin`]), deploy and invoke functions and watch their jobs, invoke through a head on the
//! fast path ([`fastpath`]), bond a worker, delegate. Its
//! JavaScript is built from `clients/web/` (TypeScript on `@bls/client`) by esbuild into
//! `assets/app.js`, embedded here: the page needs no CDN and talks to this node only.

pub mod fastpath;
pub mod signin;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::rest::{rest_url, RestState};
use signin::{Answer, SignInError, Wallet};

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");

/// The web app's routes, to merge into the REST router before its state is attached.
pub fn routes() -> Router<Arc<RestState>> {
    Router::new()
        .route("/app", get(|| async { Redirect::permanent("/app/") }))
        .route(
            "/app/",
            get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/app/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/app/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }),
        )
        .route("/app/api/challenge", post(challenge))
        .route("/app/api/verify", post(verify))
        .route("/app/api/session", get(session))
        .route("/app/api/fastpath/terms", get(fastpath::terms))
        .route("/app/api/fastpath/check", post(fastpath::check))
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl IntoResponse for SignInError {
    fn into_response(self) -> Response {
        let status = match self {
            SignInError::BadRequest(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::UNAUTHORIZED,
        };
        (status, Json(json!({"error": self.to_string()}))).into_response()
    }
}

/// `POST /app/api/challenge` body.
#[derive(Deserialize)]
struct ChallengeRequest {
    wallet: Wallet,
    address: String,
}

async fn challenge(
    State(s): State<Arc<RestState>>,
    headers: HeaderMap,
    Json(req): Json<ChallengeRequest>,
) -> Result<impl IntoResponse, SignInError> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = rest_url(host, &s.api_listen);
    Ok(Json(s.sign_in.challenge(
        req.wallet,
        &req.address,
        &origin,
        now(),
    )?))
}

async fn verify(
    State(s): State<Arc<RestState>>,
    Json(answer): Json<Answer>,
) -> Result<impl IntoResponse, SignInError> {
    Ok(Json(s.sign_in.verify(&answer, now())?))
}

async fn session(State(s): State<Arc<RestState>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "));
    match token.and_then(|t| s.sign_in.session(t, now())) {
        Some(session) => Json(session).into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "no session: sign in"})),
        )
            .into_response(),
    }
}
