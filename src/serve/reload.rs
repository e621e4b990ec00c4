//! Live reload: the WebSocket every served page opens, the messages sent on it, and the script
//! (with its error overlay) that `serve` injects into HTML responses, never into files.
//!
//! A page connects to [`SOCKET_PATH`] (a tiny_http upgrade handed to tungstenite). After every
//! rebuild, once the new output is complete, each open socket gets one JSON message:
//! - `{"type":"reload","changed":[...]|null,"removed":[...]}`: the build succeeded; the page
//!   reloads when its own file (or a script or style sheet) changed, goes to the home page when
//!   its file was removed, and drops the overlay either way;
//! - `{"type":"error","diagnostics":[{severity,code,file,line,column,message,hint?}]}`: the
//!   build failed; the page stays as it was (the last good build) under an overlay listing the
//!   diagnostics, until a build succeeds again.
//!
//! A page opened or reconnecting while the build is broken gets the overlay at once: the current
//! diagnostics are embedded in the injected script, and sent again on connect.

use crate::diagnostics::Diagnostic;
use serde::Serialize;
use std::sync::Mutex;
use tungstenite::protocol::Role;
use tungstenite::{Message, WebSocket};

/// The URL path of the reload socket: the server's own (a file the build wrote there would be
/// shadowed by it).
pub const SOCKET_PATH: &str = "/__ismsbook/ws";

/// A message to every open page.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Notice {
    Reload { changed: Option<Vec<String>>, removed: Vec<String> },
    Error { diagnostics: Vec<Diagnostic> },
}

impl Notice {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{\"type\":\"reload\",\"changed\":null,\"removed\":[]}".into())
    }
}

/// The open sockets and the current state of the build.
#[derive(Default)]
pub struct Hub {
    sockets: Mutex<Vec<WebSocket<Box<dyn tiny_http::ReadWrite + Send>>>>,
    /// The diagnostics of the failed build being shown, or empty when the last build succeeded.
    errors: Mutex<Vec<Diagnostic>>,
}

impl Hub {
    /// Completes a WebSocket handshake on `request` and keeps the socket; refuses anything that
    /// is not a WebSocket upgrade with 400.
    pub fn accept(&self, request: tiny_http::Request) {
        let key =
            request.headers().iter().find(|h| h.field.equiv("Sec-WebSocket-Key")).map(|h| h.value.as_str().to_string());
        let upgrade = request
            .headers()
            .iter()
            .any(|h| h.field.equiv("Upgrade") && h.value.as_str().eq_ignore_ascii_case("websocket"));
        let Some(key) = key.filter(|_| upgrade) else {
            let _ = request
                .respond(tiny_http::Response::from_string("400 expected a WebSocket upgrade\n").with_status_code(400));
            return;
        };
        let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
        let response = tiny_http::Response::empty(101)
            .with_header(header("Upgrade", "websocket"))
            .with_header(header("Connection", "Upgrade"))
            .with_header(header("Sec-WebSocket-Accept", &accept));
        let stream = request.upgrade("websocket", response);
        let mut socket = WebSocket::from_raw_socket(stream, Role::Server, None);
        let errors = self.errors();
        let hello = if errors.is_empty() {
            r#"{"type":"hello"}"#.to_string()
        } else {
            Notice::Error { diagnostics: errors }.to_json()
        };
        if socket.send(Message::text(hello)).is_ok() {
            self.sockets.lock().unwrap_or_else(|p| p.into_inner()).push(socket);
        }
    }

    /// Records the outcome of a build and tells every open page; sockets that fail are closed.
    pub fn broadcast(&self, notice: &Notice) {
        *self.errors.lock().unwrap_or_else(|p| p.into_inner()) = match notice {
            Notice::Error { diagnostics } => diagnostics.clone(),
            Notice::Reload { .. } => Vec::new(),
        };
        let text = notice.to_json();
        let mut sockets = self.sockets.lock().unwrap_or_else(|p| p.into_inner());
        sockets.retain_mut(|s| s.send(Message::text(text.clone())).is_ok());
    }

    /// The diagnostics shown on every page now (empty when the last build succeeded).
    pub fn errors(&self) -> Vec<Diagnostic> {
        self.errors.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// How many pages are connected.
    pub fn connected(&self) -> usize {
        self.sockets.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// `html` with the reload script (and the current diagnostics) before `</body>`.
    pub fn inject(&self, html: &str, missing: bool) -> String {
        let errors = self.errors();
        let state = serde_json::json!({ "socket": SOCKET_PATH, "errors": errors, "missing": missing });
        // `<` escaped so that no diagnostic text can close the script element.
        let state = state.to_string().replace('<', "\\u003c");
        let mut script = format!("<script>window.ISMSBOOK_SERVE = {state};</script>\n<script>{SCRIPT}</script>\n");
        if missing {
            // A 404 page is served at any depth: its relative links start from the site root.
            script.insert_str(0, "<base href=\"/\">\n");
        }
        match html.rfind("</body>") {
            Some(i) => format!("{}{script}{}", &html[..i], &html[i..]),
            None => format!("{html}{script}"),
        }
    }
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap_or_else(|()| panic!("bad header {name}"))
}

/// The client: connects, reconnects, reloads, shows and hides the overlay.
const SCRIPT: &str = r#"(function () {
  var S = window.ISMSBOOK_SERVE || {};
  var page = decodeURIComponent(location.pathname.replace(/^\/+/, ''));
  if (page === '' || page.slice(-1) === '/') page += 'index.html';
  function overlay(diags) {
    var o = document.getElementById('ismsbook-overlay');
    if (!diags || !diags.length) { if (o) o.remove(); return; }
    if (!o) {
      o = document.createElement('div');
      o.id = 'ismsbook-overlay';
      o.setAttribute('role', 'alert');
      o.style.cssText = 'position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:2em;' +
        'background:rgba(20,20,24,.93);color:#f4f4f4;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace';
      document.body.appendChild(o);
    }
    o.textContent = '';
    var errors = diags.filter(function (d) { return d.severity === 'error'; }).length;
    var h = document.createElement('h2');
    h.style.cssText = 'color:#ff8080;font:bold 18px sans-serif;margin:0 0 1em';
    h.textContent = 'Build failed with ' + errors + ' error(s): this is the last good page. Fix the source and save; the page recovers by itself.';
    o.appendChild(h);
    diags.slice(0, 100).forEach(function (d) {
      var p = document.createElement('pre');
      p.className = 'ismsbook-diagnostic';
      p.style.cssText = 'white-space:pre-wrap;margin:0 0 1em';
      p.textContent = d.file + ':' + d.line + ':' + d.column + ': ' + d.severity + '[' + d.code + ']: ' + d.message +
        (d.hint ? '\n  = hint: ' + d.hint : '');
      o.appendChild(p);
    });
  }
  function show() { overlay(S.errors); }
  if (document.body) show(); else document.addEventListener('DOMContentLoaded', show);
  var delay = 200, opened = false;
  function connect() {
    var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + S.socket);
    ws.onopen = function () { if (opened) { location.reload(); } opened = true; delay = 200; };
    ws.onmessage = function (e) {
      var m = JSON.parse(e.data);
      if (m.type === 'error') { S.errors = m.diagnostics; overlay(m.diagnostics); return; }
      if (m.type !== 'reload') return;
      var broken = !!document.getElementById('ismsbook-overlay');
      if (m.removed.indexOf(page) >= 0) { location.href = '/'; return; }
      var changed = !m.changed || S.missing || broken || m.changed.some(function (f) {
        return f === page || (/\.(js|css)$/.test(f) && f.indexOf('search/') !== 0);
      });
      S.errors = [];
      if (changed) location.reload(); else overlay([]);
    };
    ws.onclose = function () { setTimeout(connect, delay); delay = Math.min(delay * 2, 3000); };
  }
  connect();
})();"#;
