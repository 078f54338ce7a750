//! What the API tests share: a blocking client with the one error body's checks.

#![allow(dead_code)]

use serde_json::{Value, json};

pub const PASSWORD: &str = corridor_server::demo::DEMO_PASSWORD;

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A file of the repository's `examples/`.
pub fn example(name: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    std::fs::read_to_string(root.join(name)).unwrap()
}

/// Percent-encodes a query or path value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The PostgreSQL URL of the tests, or `None` when they are skipped on purpose.
pub fn pg_url() -> Option<String> {
    match std::env::var("CORRIDOR_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CORRIDOR_TEST_PG").as_deref() == Ok("skip") => {
            eprintln!("skipped: CORRIDOR_TEST_PG=skip");
            None
        }
        _ => panic!("CORRIDOR_TEST_PG_URL is not set (or set CORRIDOR_TEST_PG=skip)"),
    }
}

pub struct Client {
    base: String,
    http: ureq::Agent,
}

impl Client {
    pub fn new(addr: std::net::SocketAddr) -> Client {
        let http: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            base: format!("http://{addr}"),
            http,
        }
    }

    fn finish(mut r: ureq::http::Response<ureq::Body>) -> (u16, Value) {
        let status = r.status().as_u16();
        let text = r
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .unwrap_or_default();
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        (status, v)
    }

    pub fn get(&self, token: Option<&str>, path: &str) -> (u16, Value) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        Self::finish(req.call().unwrap())
    }

    pub fn post(&self, token: Option<&str>, path: &str, body: &Value) -> (u16, Value) {
        let mut req = self.http.post(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        Self::finish(req.send_json(body).unwrap())
    }

    pub fn post_raw(
        &self,
        token: Option<&str>,
        path: &str,
        ctype: &str,
        body: &[u8],
    ) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Content-Type", ctype);
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        Self::finish(req.send(body).unwrap())
    }

    /// Posts a body larger than the server takes on a raw connection, reading the answer while
    /// the body is still being written (the server may answer and close before it has all of
    /// it, which a client that writes first would see as a broken pipe).
    pub fn post_oversize(&self, token: &str, path: &str, body: Vec<u8>) -> (u16, Value) {
        use std::io::{Read, Write};
        let addr = self.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let mut writer = stream.try_clone().unwrap();
        let w = std::thread::spawn(move || {
            let _ = writer.write_all(head.as_bytes());
            let _ = writer.write_all(&body);
        });
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let _ = w.join();
        let text = String::from_utf8_lossy(&raw);
        let status: u16 = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let json = text.split_once("\r\n\r\n").map_or("", |x| x.1);
        (status, serde_json::from_str(json).unwrap_or(Value::Null))
    }

    pub fn login(&self, user: &str) -> String {
        let (s, v) = self.post(
            None,
            "/api/v1/login",
            &json!({"user": user, "password": PASSWORD}),
        );
        assert_eq!(s, 200, "login {user}: {v}");
        v["token"].as_str().unwrap().to_owned()
    }
}

pub fn assert_error(status: u16, v: &Value, want_status: u16, code: &str) {
    assert_eq!(status, want_status, "{v}");
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{v}"
    );
}

/// Generates the demo scenario, ingests every agency and the FIU example, and resolves
/// subjects (as the main API test does).
pub fn fill_demo(dir: &std::path::Path, store: &mut dyn corridor_store::Store) {
    use corridor_ingest::{Format, Options};
    let scenario = dir.join("scenario");
    let config = corridor_synth::Config::preset(corridor_synth::Preset::Demo, 5);
    let summary = corridor_synth::generate(&config, &scenario).expect("scenario");
    for agency in &summary.agencies {
        let mapping = std::fs::read_to_string(scenario.join(&agency.mapping_file)).unwrap();
        let format = if agency.ftm { Format::Ftm } else { Format::Csv };
        let options = Options {
            rejects_path: Some(dir.join(format!("{}.rejects.csv", agency.code))),
            ..Options::default()
        };
        corridor_ingest::ingest_file(
            store,
            &scenario.join(&agency.data_file),
            format,
            Some((&mapping, &agency.mapping_file)),
            &options,
            &mut |_| {},
        )
        .unwrap_or_else(|e| panic!("ingesting {}: {e}", agency.data_file));
    }
    corridor_subjects::resolve_kinds(
        store,
        &corridor_subjects::builtin_kinds(),
        &corridor_subjects::Options::default(),
    )
    .expect("resolve");
}
