//! The CORS policy the node's HTTP servers share (`blsd`'s REST gateway with app.toml
//! `cors_allowed_origins`, a head's API with `--head-cors-origins`): GETs and JSON POSTs from
//! the listed origins (`*`: any), no credentials. A page of an allowed origin can read
//! answers; a request's own signature is still what authorizes anything it asks.

use http::{header, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The layer for `origins`; an origin that is not a valid header value is refused.
pub fn layer(origins: &[String]) -> anyhow::Result<CorsLayer> {
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .map(|o| {
                    HeaderValue::from_str(o)
                        .map_err(|_| anyhow::anyhow!("CORS origin {o:?} is not a header value"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
        )
    };
    Ok(CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE]))
}
