//! Graceful shutdown of the real binary: SIGTERM during a slow request lets it finish,
//! then the process exits 0 within the drain time.

use std::{
    io::{Read, Write},
    net::TcpStream,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::helpers::*;

/// A plain HTTP/1.1 POST, enough for a test; returns the body.
fn post(port: u16, path: &str, token: Option<&str>, body: &Value) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.to_string();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

#[tokio::test]
async fn sigterm_lets_a_slow_request_finish_and_exits_zero() {
    let database = TestDatabase::create().await;
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_continuum"))
        .env("DATABASE_URL", &database.url)
        .env("CONTINUUM_BIND", format!("127.0.0.1:{port}"))
        .env("CONTINUUM_JWT_SECRET", JWT_SECRET)
        .env("CONTINUUM_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("CONTINUUM_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("CONTINUUM_FAULT_INJECTION", "true")
        .env("CONTINUUM_SHUTDOWN_DRAIN_SECS", "5")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start continuum");

    let started = Instant::now();
    let login = json!({ "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
                        "variables": { "e": ADMIN_EMAIL, "p": ADMIN_PASSWORD } });
    let token = loop {
        if let Ok(body) = post(port, "/graphql", None, &login)
            && let Ok(json) = serde_json::from_str::<Value>(&body)
            && let Some(token) = json["data"]["login"]["accessToken"].as_str()
        {
            break token.to_owned();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the server starts");
        std::thread::sleep(Duration::from_millis(100));
    };

    let slow = std::thread::spawn(move || {
        post(port, "/graphql", Some(&token), &json!({ "query": "{ debugSleep(ms: 2000) }" }))
    });
    std::thread::sleep(Duration::from_millis(500));
    let terminated = Instant::now();
    let killed = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().expect("kill");
    assert!(killed.success());

    let body = slow.join().expect("request thread").expect("the slow request is answered");
    let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    assert_eq!(json["data"]["debugSleep"], true, "the in-flight request completes: {body}");

    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(terminated.elapsed() < Duration::from_secs(8), "the process exits within the drain time");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status 0, got {status:?}");
    assert!(post(port, "/graphql", None, &login).is_err(), "nothing listens after exit");
}
