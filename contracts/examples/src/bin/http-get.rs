//! `http-get URL`: fetches URL through the `bls_http` host extension.
//! On success prints `status: <code>` then the body, exit code 0.
//! On a host error prints `error: <kind>: <message>`, exit code 3 (the job still
//! completes normally: a denied request is an answer, not a crash).
fn main() {
    let Some(url) = bls_sdk::args().into_iter().next() else {
        bls_sdk::log("usage: http-get URL");
        std::process::exit(2);
    };
    match bls_sdk::http::get(&url) {
        Ok(resp) => {
            let mut out = format!("status: {}\n", resp.status).into_bytes();
            out.extend_from_slice(&resp.body);
            let _ = bls_sdk::output(&out);
        }
        Err(err) => {
            let _ = bls_sdk::output(format!("error: {err}\n").as_bytes());
            std::process::exit(3);
        }
    }
}
