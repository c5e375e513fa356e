//! `s3-roundtrip`: input `BUCKET KEY VALUE`; stores VALUE as KEY in BUCKET at the S3 endpoint
//! of the manifest's env `S3_ENDPOINT` (region `S3_REGION`, default us-east-1; credentials
//! `S3_ACCESS_KEY` / `S3_SECRET_KEY`, best kept as sealed secrets), reads it back and lists the
//! bucket: `put ok`, `get VALUE`, `list KEY,...`, one per line. On an error prints
//! `error: <why>` (the server's answer for wrong credentials) and exits 3.
fn main() {
    let var = |k: &str| bls_sdk::env(k).unwrap_or_default();
    let region = bls_sdk::env("S3_REGION").unwrap_or_else(|| "us-east-1".into());
    let s3 = bls_sdk::s3::S3::new(
        &var("S3_ENDPOINT"),
        &region,
        &var("S3_ACCESS_KEY"),
        &var("S3_SECRET_KEY"),
    );
    let input = bls_sdk::input_string().unwrap_or_default();
    let mut words = input.split_whitespace();
    let (Some(bucket), Some(key), Some(value)) = (words.next(), words.next(), words.next()) else {
        let _ = bls_sdk::output(b"error: input must be BUCKET KEY VALUE\n");
        std::process::exit(2);
    };
    let run = || -> Result<String, bls_sdk::ConnectorError> {
        s3.put(bucket, key, value.as_bytes())?;
        let got = s3.get(bucket, key)?;
        let keys = s3.list(bucket, "")?;
        Ok(format!(
            "put ok\nget {}\nlist {}\n",
            String::from_utf8_lossy(&got),
            keys.join(",")
        ))
    };
    match run() {
        Ok(out) => {
            let _ = bls_sdk::output(out.as_bytes());
        }
        Err(e) => {
            let _ = bls_sdk::output(format!("error: {e}\n").as_bytes());
            std::process::exit(3);
        }
    }
}
