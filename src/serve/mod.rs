//! `ismsbook serve`: build, serve the build dir, watch the sources, rebuild, tell the pages.
//!
//! Threads: a pool of HTTP workers ([`http`], plus the WebSocket upgrades of [`reload`]); the
//! watcher ([`watch`]), which sends debounced batches of changed paths; and this function's
//! loop, which runs each rebuild through [`build::Session`] (inside `catch_unwind`, so a
//! panicking build becomes an error on the page, not a dead server) and only then, with the
//! output complete, broadcasts the reload or the diagnostics. Ctrl-C ends the loop.

pub mod http;
pub mod reload;
pub mod watch;

use crate::build::{self, Options, Rebuilt, Session};
use crate::diagnostics::{Diagnostic, Fatal, Severity, display_path};
use reload::{Hub, Notice};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// `ismsbook serve [DIR] [-p PORT] [-n HOST] [--open]`.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub build: Options,
    pub host: String,
    pub port: u16,
    pub open: bool,
}

/// Why serve could not start.
#[derive(Debug)]
pub enum Failure {
    /// book.toml cannot be read.
    Fatal(Fatal),
    /// The address cannot be listened on (a message for the user).
    Listen(String),
}

impl From<Fatal> for Failure {
    fn from(f: Fatal) -> Self {
        Failure::Fatal(f)
    }
}

/// How many threads answer HTTP requests (each WebSocket is held by the hub, not a worker).
const WORKERS: usize = 8;

/// Builds, then serves and rebuilds until Ctrl-C.
pub fn serve(opts: &ServeOptions) -> Result<(), Failure> {
    let (config, _) = build::configure(&opts.build)?;
    let addr = address(&opts.host, opts.port)?;
    if let Some(warning) = exposure_warning(addr) {
        eprintln!("{warning}");
    }
    let server = tiny_http::Server::http(addr).map_err(|e| listen_error(addr, &*e))?;
    let server = Arc::new(server);
    let hub = Arc::new(Hub::default());
    // The folder served: the build dir, which book.toml may move while serving.
    let root = Arc::new(RwLock::new(config.build_dir.clone()));

    let mut session = Session::watched(opts.build.clone());
    let (tx, rx) = channel::<Vec<PathBuf>>();
    let mut watching = Watching::start(&config, &tx)?;
    let first = rebuild(&mut session, &[], &hub, &mut |s| watching.follow(s, &root, &tx));

    for _ in 0..WORKERS {
        let (server, hub, root) = (server.clone(), hub.clone(), root.clone());
        std::thread::spawn(move || {
            while let Ok(request) = server.recv() {
                if request.url().split('?').next() == Some(reload::SOCKET_PATH) {
                    hub.accept(request);
                } else {
                    let root = root.read().unwrap_or_else(|p| p.into_inner()).clone();
                    http::respond(request, &root, &|html, missing| hub.inject(html, missing));
                }
            }
        });
    }

    // Ctrl-C: an empty batch that is not a change (changes always name a path).
    let stop = tx.clone();
    let _ = ctrlc::set_handler(move || {
        let _ = stop.send(Vec::new());
    });

    let url = format!("http://{}/", display_addr(addr));
    eprintln!("serving {} on {url} (Ctrl-C to stop)", display_path(&config.build_dir));
    if first && opts.open {
        open_browser(&url);
    }
    while let Some(paths) = next_batch(&rx) {
        rebuild(&mut session, &paths, &hub, &mut |s| watching.follow(s, &root, &tx));
    }
    eprintln!("stopped");
    server.unblock();
    Ok(())
}

/// The watcher and what it watches.
struct Watching {
    scope: watch::Scope,
    _watcher: notify::RecommendedWatcher,
}

impl Watching {
    fn start(config: &crate::config::Config, tx: &Sender<Vec<PathBuf>>) -> Result<Watching, Failure> {
        let scope = watch::Scope::of(config);
        let watcher = watch::watch(scope.clone(), tx.clone()).map_err(|e| {
            Failure::Fatal(Fatal(Diagnostic::error(
                "watch-failed",
                &config.config_file,
                format!("cannot watch the sources: {e}"),
            )))
        })?;
        Ok(Watching { scope, _watcher: watcher })
    }

    /// After a build: when book.toml now names another build dir, source folder or theme
    /// folder, serves and watches those from now on (no restart needed).
    fn follow(&mut self, session: &Session, root: &RwLock<PathBuf>, tx: &Sender<Vec<PathBuf>>) {
        let Ok((config, _)) = build::configure(session.options()) else { return };
        let mut served = root.write().unwrap_or_else(|p| p.into_inner());
        if *served != config.build_dir {
            eprintln!("now serving {} (book.toml changed)", display_path(&config.build_dir));
            *served = config.build_dir.clone();
        }
        if watch::Scope::of(&config) != self.scope {
            match Watching::start(&config, tx) {
                Ok(w) => *self = w,
                Err(_) => {
                    eprintln!("warning: cannot watch the folders book.toml now names; still watching the old ones")
                }
            }
        }
    }
}

/// The next batch of changed paths, with whatever else arrived while the last build ran;
/// `None` on Ctrl-C (an empty batch).
fn next_batch(rx: &Receiver<Vec<PathBuf>>) -> Option<Vec<PathBuf>> {
    let mut paths = rx.recv().ok().filter(|p| !p.is_empty())?;
    while let Ok(more) = rx.try_recv() {
        if more.is_empty() {
            return None;
        }
        paths.extend(more);
    }
    paths.sort();
    paths.dedup();
    let names: Vec<String> = paths.iter().take(3).map(|p| display_path(p)).collect();
    let more = if paths.len() > 3 { format!(" and {} more", paths.len() - 3) } else { String::new() };
    eprintln!("changed: {}{more}", names.join(", "));
    Some(paths)
}

/// One rebuild, its report printed and its outcome broadcast once `follow` has pointed the
/// server at the build dir. Returns whether it succeeded.
fn rebuild(session: &mut Session, paths: &[PathBuf], hub: &Hub, follow: &mut dyn FnMut(&Session)) -> bool {
    let started = Instant::now();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| session.rebuild(paths)));
    follow(session);
    let ok = announce(outcome, started, hub);
    // The rebuild cache, for the next `build` or `serve`, after the pages were told.
    if let Err(d) = session.save() {
        eprintln!("{}", d.human());
    }
    ok
}

/// Prints the outcome of a build (which may have panicked) and tells every page.
fn announce(outcome: std::thread::Result<Result<Rebuilt, Fatal>>, started: Instant, hub: &Hub) -> bool {
    let notice = match outcome {
        Ok(Ok(Rebuilt { report, changed, removed, .. })) => {
            for d in &report.diagnostics {
                eprintln!("{}", d.human());
            }
            if report.errors == 0 {
                eprintln!("{}", report.summary);
                Notice::Reload { changed, removed }
            } else {
                eprintln!("build failed ({} ms): serving the last good build", started.elapsed().as_millis());
                Notice::Error {
                    diagnostics: report.diagnostics.into_iter().filter(|d| d.severity == Severity::Error).collect(),
                }
            }
        }
        Ok(Err(Fatal(d))) => {
            eprintln!("{}", d.human());
            Notice::Error { diagnostics: vec![d] }
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            let d = Diagnostic::error(
                "internal-error",
                &PathBuf::from("ismsbook"),
                format!("the build panicked: {what}"),
            )
            .hint("this is a bug in ismsbook: please report it with the file you changed; the server keeps running");
            eprintln!("{}", d.human());
            Notice::Error { diagnostics: vec![d] }
        }
    };
    let ok = matches!(notice, Notice::Reload { .. });
    hub.broadcast(&notice);
    ok
}

/// The warning printed when the address is reachable from other machines.
fn exposure_warning(addr: SocketAddr) -> Option<String> {
    (!addr.ip().is_loopback()).then(|| {
        format!(
            "warning: serving on {addr}, which other machines can reach: anyone on this network can read the handbook, internal documents included (use -n 127.0.0.1 to keep it local)"
        )
    })
}

/// Resolves `host:port` (a name such as `localhost` or an address).
fn address(host: &str, port: u16) -> Result<SocketAddr, Failure> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    (host, port).to_socket_addrs().ok().and_then(|mut a| a.next()).ok_or_else(|| {
        Failure::Listen(format!("cannot resolve the host name {host:?} (-n): give an address such as 127.0.0.1"))
    })
}

fn display_addr(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => format!("127.0.0.1:{}", addr.port()),
        _ => addr.to_string(),
    }
}

fn listen_error(addr: SocketAddr, e: &(dyn std::error::Error + 'static)) -> Failure {
    let in_use = e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::AddrInUse)
        || e.to_string().to_lowercase().contains("address already in use");
    if in_use {
        Failure::Listen(format!(
            "cannot serve on {addr}: the port {} is already in use (another `ismsbook serve`?): choose another port with -p, e.g. -p {}",
            addr.port(),
            addr.port().wrapping_add(1).max(1024)
        ))
    } else {
        Failure::Listen(format!("cannot serve on {addr}: {e}"))
    }
}

/// Opens `url` in the default browser: the commands of `$BROWSER` (the usual convention: a
/// `:`-separated list, `%s` standing for the URL, else the URL appended), then the system's
/// opener; quietly does nothing when there is none.
fn open_browser(url: &str) {
    for (cmd, args) in browser_commands(std::env::var("BROWSER").ok().as_deref(), url) {
        let spawned = std::process::Command::new(&cmd)
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        if let Ok(mut child) = spawned {
            // Reap it in the background so that no zombie is left.
            std::thread::spawn(move || child.wait());
            return;
        }
    }
}

/// The commands that may open `url`, in order: `$BROWSER`'s, then the system's.
fn browser_commands(browser: Option<&str>, url: &str) -> Vec<(String, Vec<String>)> {
    let mut commands = Vec::new();
    for entry in browser.unwrap_or_default().split(':').map(str::trim).filter(|e| !e.is_empty()) {
        let mut words = entry.split_whitespace().map(str::to_string);
        let Some(cmd) = words.next() else { continue };
        let mut args: Vec<String> = words.collect();
        if entry.contains("%s") {
            args = args.iter().map(|a| a.replace("%s", url)).collect();
        } else {
            args.push(url.to_string());
        }
        commands.push((cmd, args));
    }
    let system: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["explorer"]
    } else {
        &["xdg-open", "sensible-browser", "x-www-browser"]
    };
    commands.extend(system.iter().map(|c| (c.to_string(), vec![url.to_string()])));
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_build_becomes_an_error_on_the_page() {
        let hub = Hub::default();
        let outcome = std::panic::catch_unwind(|| -> Result<Rebuilt, Fatal> { panic!("boom in a stage") });
        assert!(!announce(outcome, Instant::now(), &hub));
        let errors = hub.errors();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, "internal-error");
        assert!(errors[0].message.contains("boom in a stage"));
        assert!(hub.inject("<body></body>", false).contains("boom in a stage"));
    }

    #[test]
    fn browser_comes_from_the_browser_variable_first() {
        let url = "http://127.0.0.1:3000/";
        let cmds = browser_commands(Some("firefox --new-tab %s:lynx"), url);
        assert_eq!(cmds[0], ("firefox".to_string(), vec!["--new-tab".to_string(), url.to_string()]));
        assert_eq!(cmds[1], ("lynx".to_string(), vec![url.to_string()]));
        assert!(cmds.len() > 2, "the system's opener follows");
        assert_eq!(browser_commands(None, url).len(), cmds.len() - 2);
    }

    #[test]
    fn only_loopback_is_quiet() {
        assert!(exposure_warning("127.0.0.1:3000".parse().unwrap()).is_none());
        assert!(exposure_warning("[::1]:3000".parse().unwrap()).is_none());
        assert!(exposure_warning("0.0.0.0:3000".parse().unwrap()).is_some_and(|w| w.contains("-n 127.0.0.1")));
        assert_eq!(address("localhost", 3000).ok().map(|a| a.ip().is_loopback()), Some(true));
    }
}
