//! echo-server-rust: a tiny HTTP echo server.
//!
//! Endpoints:
//!
//! * `POST /echo`   returns the request body unchanged, with the request's Content-Type
//! * `GET /healthz` returns `ok`
//! * `GET /`        returns `{"name": "...", "version": "..."}`

use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;

use serde_json::json;
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

const NAME: &str = env!("CARGO_PKG_NAME");
const VERSION: &str = env!("CARGO_PKG_VERSION");
const DEFAULT_ADDR: &str = "0.0.0.0:8081";
/// Largest request body `/echo` accepts.
const MAX_BODY: u64 = 1 << 20;
const WORKERS: usize = 4;

fn usage() -> String {
    format!(
        "Usage: {NAME} [--addr <host:port>] [--version]\n\n\
         Options:\n  \
         --addr <host:port>  address to listen on (default {DEFAULT_ADDR})\n  \
         --version           print version and exit\n  \
         --help              print this help and exit"
    )
}

#[derive(Debug, PartialEq)]
enum Command {
    Serve { addr: String },
    Version,
    Help,
}

fn parse_args<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
    let mut addr = DEFAULT_ADDR.to_string();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--version" | "-V" => return Ok(Command::Version),
            "--help" | "-h" => return Ok(Command::Help),
            "--addr" => addr = it.next().ok_or("--addr requires a value")?,
            other => match other.strip_prefix("--addr=") {
                Some(v) => addr = v.to_string(),
                None => return Err(format!("unknown argument: {other}")),
            },
        }
    }
    Ok(Command::Serve { addr })
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

fn json_response(status: u16, body: serde_json::Value) -> Response<std::io::Cursor<Vec<u8>>> {
    Response::from_data(body.to_string().into_bytes())
        .with_status_code(StatusCode(status))
        .with_header(header("Content-Type", "application/json"))
}

fn handle(mut req: Request) {
    let path = req.url().split('?').next().unwrap_or("").to_string();
    let method = req.method().clone();

    let response = match (&method, path.as_str()) {
        (Method::Post, "/echo") => {
            let content_type = req
                .headers()
                .iter()
                .find(|h| h.field.equiv("Content-Type"))
                .map(|h| h.value.as_str().to_string())
                .unwrap_or_else(|| "application/octet-stream".to_string());
            let mut body = Vec::new();
            match req.as_reader().take(MAX_BODY + 1).read_to_end(&mut body) {
                Err(e) => json_response(400, json!({ "error": format!("reading body: {e}") })),
                Ok(_) if body.len() as u64 > MAX_BODY => json_response(
                    413,
                    json!({ "error": "body too large", "limit_bytes": MAX_BODY }),
                ),
                Ok(_) => {
                    Response::from_data(body).with_header(header("Content-Type", &content_type))
                }
            }
        }
        (Method::Get | Method::Head, "/healthz") => Response::from_data(b"ok\n".to_vec())
            .with_header(header("Content-Type", "text/plain; charset=utf-8")),
        (Method::Get | Method::Head, "/") => {
            json_response(200, json!({ "name": NAME, "version": VERSION }))
        }
        (_, "/echo") => json_response(405, json!({ "error": "method not allowed" }))
            .with_header(header("Allow", "POST")),
        (_, "/healthz" | "/") => json_response(405, json!({ "error": "method not allowed" }))
            .with_header(header("Allow", "GET, HEAD")),
        _ => json_response(404, json!({ "error": "not found", "path": path })),
    };

    if let Err(e) = req.respond(response) {
        eprintln!("{NAME}: responding to {method} {path}: {e}");
    }
}

/// Exit promptly on SIGTERM/SIGINT. The server runs as PID 1 in its container
/// image, and PID 1 ignores signals whose disposition is the default, so
/// without a handler `docker stop` and pod termination would wait for SIGKILL.
/// The echo server holds no state worth draining, so the handler only calls the
/// async-signal-safe `_exit`.
#[cfg(unix)]
fn install_signal_handlers() {
    use std::os::raw::c_int;
    extern "C" {
        fn signal(signum: c_int, handler: extern "C" fn(c_int)) -> usize;
        fn _exit(status: c_int) -> !;
    }
    extern "C" fn on_signal(signum: c_int) {
        // SAFETY: _exit is async-signal-safe.
        unsafe { _exit(128 + signum) }
    }
    const SIGINT: c_int = 2;
    const SIGTERM: c_int = 15;
    // SAFETY: installs a handler that only calls an async-signal-safe function.
    unsafe {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
}

#[cfg(not(unix))]
fn install_signal_handlers() {}

fn serve(addr: &str) -> Result<(), String> {
    let server = Arc::new(Server::http(addr).map_err(|e| format!("listening on {addr}: {e}"))?);
    install_signal_handlers();
    eprintln!("{NAME} {VERSION} listening on {addr}");

    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let server = Arc::clone(&server);
            thread::spawn(move || {
                for req in server.incoming_requests() {
                    handle(req);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)) {
        Ok(Command::Version) => {
            println!("{NAME} {VERSION}");
            ExitCode::SUCCESS
        }
        Ok(Command::Help) => {
            println!("{}", usage());
            ExitCode::SUCCESS
        }
        Ok(Command::Serve { addr }) => match serve(&addr) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{NAME}: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("{NAME}: {e}\n\n{}", usage());
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn default_addr() {
        assert_eq!(
            parse_args(args(&[])),
            Ok(Command::Serve {
                addr: DEFAULT_ADDR.into()
            })
        );
    }

    #[test]
    fn addr_forms() {
        let want = Ok(Command::Serve {
            addr: "127.0.0.1:9000".into(),
        });
        assert_eq!(parse_args(args(&["--addr", "127.0.0.1:9000"])), want);
        assert_eq!(parse_args(args(&["--addr=127.0.0.1:9000"])), want);
    }

    #[test]
    fn version_and_errors() {
        assert_eq!(parse_args(args(&["--version"])), Ok(Command::Version));
        assert!(parse_args(args(&["--addr"])).is_err());
        assert!(parse_args(args(&["--bogus"])).is_err());
    }

    #[test]
    fn version_matches_manifest() {
        assert_eq!(NAME, "echo-server-rust");
        assert!(!VERSION.is_empty());
    }
}
