//! The web dashboard served by `blsd start` at `/dashboard/`: static HTML, JS and CSS embedded
//! in the binary (no CDN, no external request at run time) plus a few JSON routes in [`api`].
//!
//! The page reads the chain through this node's REST gateway only: `/bls/{module}/{method}`
//! for module queries, `/chain-info.json` for Keplr, and `/dashboard/api/*` for CometBFT's
//! validator set, supply/burn totals, recent jobs with decoded results and recent fast-path
//! settlements.

pub mod api;

use std::sync::Arc;

use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;

use crate::rest::RestState;

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");

/// The dashboard's routes, to merge into the REST router before its state is attached.
pub fn routes() -> Router<Arc<RestState>> {
    Router::new()
        .route(
            "/dashboard",
            get(|| async { Redirect::permanent("/dashboard/") }),
        )
        .route(
            "/dashboard/",
            get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/dashboard/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/dashboard/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }),
        )
        .route("/dashboard/api/cometbft", get(api::cometbft))
        .route("/dashboard/api/supply", get(api::supply))
        .route("/dashboard/api/jobs", get(api::jobs))
        .route("/dashboard/api/settlements", get(api::settlements))
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // Assets change only with the binary; revalidating keeps an upgraded node's page fresh.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}
