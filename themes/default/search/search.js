// ismsbook search: the header field (#search), results in #search-results, ?q= on any page.
// The index lives next to this file (search/index.js, t/, v/, c/) and is loaded piece by piece
// with <script> tags, so it works from file:// (no fetch) and under any sub-path. The word
// rules mirror src/search/tokenize.rs; ranking: exact id, then score (title > heading > body,
// tf and length normalised at build time) weighted by rarity (idf) and by the page's type
// (KIND_WEIGHT: the organisation's own documents before the catalogue, risks and the auditor
// tables, which restate or list them). A hit is a section:
// page * 65536 + its number within the page. Section chunks are deflated JSON, inflated with
// the browser's DecompressionStream.
(function () {
  "use strict";
  var S = (window.ISMSBOOK_SEARCH = window.ISMSBOOK_SEARCH || {});
  var me = document.currentScript;
  var base = me && me.src ? me.src.replace(/[^/]*$/, "") : (document.body.getAttribute("data-root") || "") + "search/";
  var siteRoot = base.replace(/search\/$/, "");
  var PAGE = 10;
  var manifest = null;
  var data = { index: {}, shard: {}, vocab: {}, chunk: {} };
  var waiting = {};

  // ---- loading -----------------------------------------------------------------------
  function receive(kind) {
    return function (n, value) {
      data[kind][n] = value;
      var key = kind + n;
      (waiting[key] || []).forEach(function (f) { f(value); });
      delete waiting[key];
    };
  }
  S.index = receive("index");
  S.shard = receive("shard");
  S.vocab = receive("vocab");
  S.chunk = receive("chunk");
  var started = {};
  function load(kind, n, rel) {
    if (n in data[kind]) { return Promise.resolve(data[kind][n]); }
    return new Promise(function (resolve) {
      var key = kind + n;
      (waiting[key] = waiting[key] || []).push(resolve);
      if (started[key]) { return; }
      started[key] = true;
      var s = document.createElement("script");
      s.src = base + rel;
      s.async = true;
      s.onerror = function () { receive(kind)(n, null); };
      document.head.appendChild(s);
    });
  }
  function loadManifest() {
    return load("index", 0, "index.js").then(function (m) {
      if (m && !manifest) { manifest = m; }
      return manifest;
    });
  }
  var SECTIONS = 65536;
  function pageOf(hit) { return Math.floor(hit / SECTIONS); }

  // ---- numbers and posting lists (src/search/shard.rs) -------------------------------
  var DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
  var VALUE = {};
  for (var d = 0; d < 64; d++) { VALUE[DIGITS[d]] = d; }
  // A posting list, page by page: a page digit (48-59: page gap 1-12; 60: gap as a number),
  // then per section one digit (0-47: section gap 1-3, score 0-15) or an escape (61: gap as a
  // number, then the score; 62, 63: gap 1 or 2, then the score).
  function decodePostings(s) {
    var map = new Map(), i = 0, page = 0, next = 0;
    function number() {
      var v = 0, shift = 0, x;
      do { x = VALUE[s[i++]]; v += (x & 31) * Math.pow(2, shift); shift += 5; } while (x >= 32 && i < s.length);
      return v;
    }
    while (i < s.length) {
      var d = VALUE[s[i++]], gap, score;
      if (d >= 48 && d <= 60) { page += d === 60 ? number() : d - 47; next = 0; continue; }
      if (d < 48) { gap = (d >> 4) + 1; score = d & 15; }
      else if (d === 61) { gap = number(); score = VALUE[s[i++]]; }
      else { gap = d - 61; score = VALUE[s[i++]]; }
      next += gap;
      map.set((page - 1) * SECTIONS + next - 1, score);
    }
    return map;
  }

  // ---- words (src/search/tokenize.rs) ------------------------------------------------
  function isCjk(c) {
    var x = c.codePointAt(0);
    return (x >= 0x3040 && x <= 0x30ff) || (x >= 0x31f0 && x <= 0x31ff) || (x >= 0x3400 && x <= 0x4dbf) ||
      (x >= 0x4e00 && x <= 0x9fff) || (x >= 0xf900 && x <= 0xfaff) || (x >= 0x1100 && x <= 0x11ff) ||
      (x >= 0x3130 && x <= 0x318f) || (x >= 0xac00 && x <= 0xd7af) || (x >= 0x20000 && x <= 0x2a6df);
  }
  function fold(s) {
    var out = "";
    for (var c of s) {
      var x = c.codePointAt(0);
      if (x < 128) { out += c.toLowerCase(); }
      else if (x >= 0xac00 && x <= 0xd7af) { out += c; }
      else { out += c.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase(); }
    }
    return out;
  }
  var WORD = /[\p{Alphabetic}\p{N}]/u, DIGIT = /\p{N}/u;
  function isWord(c) { return WORD.test(c) && !isCjk(c); }
  function stem(w) {
    if (w.length < 4 || !/^[a-z]+$/.test(w)) { return w; }
    if (/sses$/.test(w)) { w = w.slice(0, -2); }
    else if (/ies$/.test(w) && w.length > 4) { w = w.slice(0, -3) + "y"; }
    else if (/s$/.test(w) && !/(ss|us|is)$/.test(w)) { w = w.slice(0, -1); }
    var suffixes = ["ing", "ed"];
    for (var k = 0; k < suffixes.length; k++) {
      var suf = suffixes[k];
      if (w.endsWith(suf) && !w.endsWith("eed")) {
        var rest = w.slice(0, -suf.length);
        if (rest.length >= 3 && /[aeiouy]/.test(rest)) {
          var n = rest.length;
          if (n >= 2 && rest[n - 1] === rest[n - 2] && "aeioulsz".indexOf(rest[n - 1]) < 0) { rest = rest.slice(0, -1); }
          return rest;
        }
      }
    }
    if (w.endsWith("e") && w.length > 4) { w = w.slice(0, -1); }
    return w;
  }
  // Terms of folded text: {t: term, raw: the word before stemming}.
  function terms(folded) {
    var ch = Array.from(folded), out = [], i = 0;
    while (i < ch.length) {
      if (isCjk(ch[i])) {
        var s = i;
        while (i < ch.length && isCjk(ch[i])) { i++; }
        if (i - s === 1) { out.push({ t: ch[s], raw: ch[s] }); }
        for (var k = s; k < i - 1; k++) { out.push({ t: ch[k] + ch[k + 1], raw: ch[k] + ch[k + 1] }); }
        continue;
      }
      if (!isWord(ch[i])) { i++; continue; }
      var start = i, end = i, digit = false, joined = false;
      for (;;) {
        while (end < ch.length && isWord(ch[end])) { digit = digit || DIGIT.test(ch[end]); end++; }
        if (end + 1 < ch.length && (ch[end] === "." || ch[end] === "-") && isWord(ch[end + 1])) { joined = true; end++; continue; }
        break;
      }
      var run = ch.slice(start, end).join("");
      if (joined && digit) { out.push({ t: run, raw: run }); }
      else { run.split(/[.-]/).filter(Boolean).forEach(function (w) { out.push({ t: stem(w), raw: w }); }); }
      i = end;
    }
    return out;
  }

  // ---- shards --------------------------------------------------------------------------
  function chars(s) { return Array.from(s); }
  function shardOf(term) {
    var c = chars(term);
    for (var l = c.length; l > 0; l--) {
      var k = c.slice(0, l).join("");
      if (k in manifest.shards) { return manifest.shards[k]; }
    }
    return -1;
  }
  // Shards that may hold terms starting with `p` (at most a few).
  function shardsFor(p) {
    var out = [], own = shardOf(p);
    if (own >= 0) { out.push(own); }
    if (chars(p).length >= 2) {
      var deeper = Object.keys(manifest.shards).filter(function (k) { return k.length > p.length && k.startsWith(p); });
      if (deeper.length <= 6) { deeper.forEach(function (k) { out.push(manifest.shards[k]); }); }
    }
    return out;
  }
  function loadShards(ns) {
    return Promise.all(ns.filter(function (n) { return n >= 0; }).map(function (n) { return load("shard", n, "t/" + n + ".js"); }));
  }
  var decoded = {};
  function postings(term) {
    var n = shardOf(term);
    var sh = n >= 0 ? data.shard[n] : null;
    if (!sh || !(term in sh)) { return null; }
    return decoded[term] || (decoded[term] = decodePostings(sh[term]));
  }
  // Damerau distance at most one.
  function oneEdit(a, b) {
    if (a === b) { return true; }
    var la = a.length, lb = b.length;
    if (Math.abs(la - lb) > 1) { return false; }
    var i = 0;
    while (i < la && i < lb && a[i] === b[i]) { i++; }
    if (la === lb) {
      return a.slice(i + 1) === b.slice(i + 1) ||
        (a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2));
    }
    return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
  }
  var ENDINGS = ["ing", "ed", "es", "s", "e", "ies"];
  // Whether `raw` (a word being typed) is `term` plus the start of an ending (train|i -> training).
  function typedEnding(raw, term) {
    if (!raw.startsWith(term.replace(/y$/, ""))) { return false; }
    var tail = raw.slice(term.replace(/y$/, "").length);
    return tail.length > 0 && ENDINGS.some(function (e) { return e.startsWith(tail); });
  }

  // ---- a query -------------------------------------------------------------------------
  // Clauses (all must match): {alts: [{term, weight}], id: "#..."} per word.
  function parse(q) {
    var clauses = [];
    var pieces = q.split(/\s+/).filter(Boolean);
    var open = !/\s$/.test(q);
    pieces.forEach(function (piece, pi) {
      var f = fold(piece);
      var id = "#" + f.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
      var ts = terms(f);
      ts.forEach(function (w, wi) {
        clauses.push({ w: w, id: id, prefix: open && pi === pieces.length - 1 && wi === ts.length - 1 });
      });
    });
    return clauses;
  }
  // A word of five letters or more gets its one-typo neighbours when it matches nothing, and
  // with `everyWord` when it does (see search).
  function resolve(clauses, everyWord) {
    var need = [];
    clauses.forEach(function (c) {
      need.push(shardOf(c.w.t), shardOf(c.id));
      if (c.prefix && chars(c.w.raw).length >= 2) { need = need.concat(shardsFor(c.w.t), shardsFor(c.w.raw)); }
    });
    return loadShards(need).then(function () {
      var typos = [];
      clauses.forEach(function (c) {
        c.alts = [];
        var seen = {};
        function add(term, weight) {
          if (seen[term]) { return; }
          var p = postings(term);
          if (p) { seen[term] = 1; c.alts.push({ term: term, weight: weight, p: p }); }
        }
        add(c.w.t, 1);
        add(c.id, 1);
        if (c.prefix && chars(c.w.raw).length >= 2) {
          var ns = shardsFor(c.w.t).concat(shardsFor(c.w.raw));
          ns.forEach(function (n) {
            var sh = data.shard[n] || {};
            Object.keys(sh).forEach(function (t) {
              if (t.startsWith(c.w.t) || t.startsWith(c.w.raw)) { add(t, 0.9); }
              else if (typedEnding(c.w.raw, t)) { add(t, 1); }
            });
          });
        }
        var words = c.alts.filter(function (a) { return a.term[0] !== "#"; });
        if ((!words.length || everyWord) && /^\p{L}{5,}$/u.test(c.w.raw)) { typos.push(c); }
      });
      // One typo (any letter, the first too) keeps a word within one letter of its length:
      // the words of those lengths are the candidates.
      return Promise.all(typos.map(function (c) {
        var lengths = {};
        [c.w.t, c.w.raw].forEach(function (w) { var l = chars(w).length; lengths[l - 1] = lengths[l] = lengths[l + 1] = 1; });
        var ns = Object.keys(lengths).map(function (l) { return manifest.vocab[l]; }).filter(function (n) { return n !== undefined; });
        return Promise.all(ns.map(function (n) { return load("vocab", n, "v/" + n + ".js"); })).then(function (lists) {
          var words = [].concat.apply([], lists.map(function (l) { return l || []; }));
          var near = words.filter(function (t) { return oneEdit(t, c.w.t) || oneEdit(t, c.w.raw); }).slice(0, 12);
          return loadShards(near.map(shardOf)).then(function () {
            near.forEach(function (t) { var p = postings(t); if (p) { c.alts.push({ term: t, weight: 0.5, p: p }); } });
          });
        });
      }));
    }).then(function () { return clauses; });
  }
  // What a word match counts for on each type of page. An employee who types "usb" wants the
  // rule they must follow (a policy, procedure, guideline...) before the control's generic
  // guidance, the risk that mentions it or the SoA row that lists it; ids are not weighted.
  var KIND_WEIGHT = { control: 0.7, clause: 0.7, risk: 0.7, role: 0.7, audit: 0.5 };
  function kindWeight(sec) {
    var k = manifest.kinds[VALUE[manifest.codes[2 * pageOf(sec)]]];
    return KIND_WEIGHT[k] || 1;
  }
  function rank(clauses) {
    if (!clauses.length) { return []; }
    var N = manifest.sections, acc = null;
    clauses.forEach(function (c) {
      var best = new Map();
      c.alts.forEach(function (a) {
        var df = a.p.size, idf = Math.log(1 + (N - df + 0.5) / (df + 0.5));
        a.p.forEach(function (score, sec) {
          var tier = a.term[0] === "#" ? score : 0;
          var v = tier ? 1000 : idf * score * a.weight * kindWeight(sec);
          var b = best.get(sec);
          if (!b) { best.set(sec, { v: v, tier: tier }); }
          else { b.v = Math.max(b.v, v); b.tier = Math.max(b.tier, tier); }
        });
      });
      if (acc === null) { acc = best; return; }
      var next = new Map();
      acc.forEach(function (r, sec) {
        var b = best.get(sec);
        if (b) { next.set(sec, { v: r.v + b.v, tier: Math.max(r.tier, b.tier) }); }
      });
      acc = next;
    });
    var out = [];
    acc.forEach(function (r, sec) { out.push({ sec: sec, v: r.v, tier: r.tier }); });
    out.sort(function (a, b) { return b.tier - a.tier || b.v - a.v || a.sec - b.sec; });
    return out;
  }
  // Runs a query: the ranked sections, with the terms that matched (for highlighting).
  function search(q) {
    return loadManifest().then(function (m) {
      if (!m) { return { hits: [], terms: [] }; }
      function answer(clauses) {
        var matched = [];
        clauses.forEach(function (c) { c.alts.forEach(function (a) { if (a.term[0] !== "#") { matched.push(a.term); } }); });
        return { hits: rank(clauses), terms: matched, clauses: clauses };
      }
      return resolve(parse(q)).then(function (clauses) {
        var first = answer(clauses);
        if (first.hits.length || clauses.length < 2) { return first; }
        // No section has every word, though each may have matched somewhere: a real word can
        // still be a typo of the one the handbook uses ("clean desk" for "clear desk"), so
        // every word of five letters or more is tried with its one-typo neighbours too.
        return resolve(parse(q), true).then(answer);
      });
    });
  }
  // A chunk's pages: [url, title, kind, classification, theme, [[anchor, heading, text]...]].
  var inflated = {};
  function chunk(n) {
    return inflated[n] || (inflated[n] = load("chunk", n, "c/" + n + ".js").then(function (b64) {
      var bin = atob(b64), bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
      var text = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
      return new Response(text).text().then(JSON.parse);
    }).catch(function () { return null; }));
  }
  function section(hit) {
    var page = pageOf(hit), n = Math.floor(page / manifest.chunk);
    return chunk(n).then(function (ch) {
      var p = ch && ch[page - n * manifest.chunk], s = p && p[5][hit % SECTIONS];
      if (!s) { return null; }
      return { url: p[0], title: p[1], kind: p[2], cls: p[3], theme: p[4], anchor: s[0], heading: s[1], text: s[2] };
    });
  }

  // ---- the interface -------------------------------------------------------------------
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }
  var WORDS = /[\p{L}\p{N}][\p{L}\p{N}.-]*[\p{L}\p{N}]|[\p{L}\p{N}]/gu;
  // Whether word `w` (as written) is one of the matched terms (a set).
  function isMatch(w, set) {
    var f = fold(w);
    return !!set[f] || terms(f).some(function (x) { return set[x.t]; });
  }
  function termSet(matched) {
    var set = {};
    matched.forEach(function (t) { set[t] = 1; });
    return set;
  }
  // About SNIPPET characters of a section's text around its first matched word (its start when
  // no word of the kept text matched), cut at words, with … where text was left out.
  var SNIPPET = 160;
  function snippet(text, matched) {
    var set = termSet(matched), at = 0, m;
    WORDS.lastIndex = 0;
    while ((m = WORDS.exec(text))) {
      if (isMatch(m[0], set) || matched.some(function (t) { return isCjk(t[0]) && m[0].indexOf(t) >= 0; })) { at = m.index; break; }
    }
    WORDS.lastIndex = 0;
    var start = Math.max(0, at - SNIPPET / 4);
    if (start > 0) { var sp = text.indexOf(" ", start); start = sp >= 0 && sp < at ? sp + 1 : at; }
    var end = start + SNIPPET;
    if (end >= text.length) { end = text.length; }
    else { var last = text.lastIndexOf(" ", end); if (last > at) { end = last; } }
    return (start > 0 ? "…" : "") + text.slice(start, end) + (end < text.length ? "…" : "");
  }
  // `text` escaped, with the words whose terms matched wrapped in <mark>.
  function highlight(text, matched) {
    var set = termSet(matched);
    var cjk = matched.filter(function (t) { return isCjk(t[0]); });
    return text.replace(WORDS, function (w) {
      if (isMatch(w, set)) { return "\u0001" + w + "\u0002"; }
      var out = w;
      cjk.forEach(function (t) { out = out.split(t).join("\u0001" + t + "\u0002"); });
      return out;
    }).split(/([\u0001\u0002])/).map(function (part) {
      return part === "\u0001" ? "<mark>" : part === "\u0002" ? "</mark>" : esc(part);
    }).join("").replace(/<\/mark>(\s*)<mark>/g, "$1");
  }

  var input = document.getElementById("search");
  var box = document.getElementById("search-results");
  if (!input) { return; }
  if (!box) {
    box = document.createElement("div");
    box.id = "search-results";
    box.hidden = true;
    (input.form || input).insertAdjacentElement("afterend", box);
  }
  var state = { q: "", hits: [], terms: [], shown: 0, active: -1, seq: 0, kind: "", theme: "" };

  function filtered() {
    if (!state.kind && !state.theme) { return state.hits; }
    var kinds = manifest.kinds, themes = manifest.themes;
    return state.hits.filter(function (h) {
      var p = pageOf(h.sec), k = VALUE[manifest.codes[2 * p]], t = VALUE[manifest.codes[2 * p + 1]];
      return (!state.kind || kinds[k] === state.kind) && (!state.theme || themes[t - 1] === state.theme);
    });
  }
  function filters() {
    function select(name, label, values, current) {
      if (!values.length) { return ""; }
      return "<select data-search-filter=\"" + name + "\" aria-label=\"" + label + "\"><option value=\"\">" + label + "</option>" +
        values.map(function (v) { return "<option" + (v === current ? " selected" : "") + ">" + esc(v) + "</option>"; }).join("") + "</select>";
    }
    return "<div class=\"search-filters\">" + select("kind", "All types", manifest.kinds, state.kind) +
      select("theme", "All themes", manifest.themes, state.theme) + "</div>";
  }
  function render() {
    var seq = state.seq, hits = filtered(), show = hits.slice(0, state.shown);
    return Promise.all(show.map(function (h) { return section(h.sec); })).then(function (rows) {
      if (seq !== state.seq) { return; }
      var html = filters();
      html += "<p class=\"search-count\">" + (hits.length === 1 ? "1 result" : hits.length + " results") +
        " for <q>" + esc(state.q.trim()) + "</q></p><ol class=\"search-hits\">";
      rows.forEach(function (r, i) {
        if (!r) { return; }
        var href = siteRoot + r.url + (r.anchor ? "#" + encodeURIComponent(r.anchor) : "");
        var crumb = r.anchor ? r.title + " › " + r.heading : r.title;
        html += "<li class=\"search-hit" + (i === state.active ? " active" : "") + "\"><a href=\"" + esc(href) + "\">" +
          "<span class=\"search-badge kind-" + esc(r.kind) + "\">" + esc(r.kind) + "</span> " +
          "<span class=\"search-title\">" + highlight(r.anchor ? r.heading : r.title, state.terms) + "</span>" +
          (r.cls ? " <span class=\"search-cls cls cls-" + esc(r.cls) + "\">" + esc(r.cls) + "</span>" : "") +
          "<span class=\"search-crumb\">" + esc(crumb) + "</span>" +
          (r.text ? "<span class=\"search-snippet\">" + highlight(snippet(r.text, state.terms), state.terms) + "</span>" : "") +
          "</a></li>";
      });
      html += "</ol>";
      if (hits.length > show.length) { html += "<button type=\"button\" class=\"search-more\">More results</button>"; }
      box.innerHTML = html;
      box.hidden = false;
      box.setAttribute("data-query", state.q);
    });
  }
  function run(q) {
    state.q = q;
    var seq = ++state.seq;
    if (!q.trim()) { box.hidden = true; box.innerHTML = ""; return Promise.resolve(); }
    return search(q).then(function (r) {
      if (seq !== state.seq) { return; }
      state.hits = r.hits;
      state.terms = r.terms;
      state.shown = PAGE;
      state.active = -1;
      return render();
    });
  }
  function remember(q) {
    try {
      var u = new URL(window.location.href);
      if (q.trim()) { u.searchParams.set("q", q.trim()); } else { u.searchParams.delete("q"); }
      window.history.replaceState(null, "", u.toString());
    } catch (e) { /* file:// in some browsers */ }
  }
  function links() { return box.querySelectorAll(".search-hit a"); }
  function activate(i) {
    var ls = links();
    if (!ls.length) { return; }
    state.active = (i + ls.length) % ls.length;
    ls.forEach(function (a, k) { a.parentNode.classList.toggle("active", k === state.active); });
    ls[state.active].scrollIntoView({ block: "nearest" });
  }
  function close() {
    box.hidden = true;
    state.active = -1;
  }

  input.addEventListener("focus", loadManifest);
  input.addEventListener("input", function () { run(input.value); remember(input.value); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); activate(state.active + 1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); activate(state.active - 1); }
    else if (e.key === "Enter") {
      e.preventDefault();
      var ls = links();
      var a = ls[state.active >= 0 ? state.active : 0];
      if (a) { window.location.href = a.href; }
    } else if (e.key === "Escape") { close(); input.blur(); }
  });
  box.addEventListener("change", function (e) {
    var f = e.target.getAttribute("data-search-filter");
    if (!f) { return; }
    state[f] = e.target.value;
    state.shown = PAGE;
    state.active = -1;
    render();
  });
  box.addEventListener("click", function (e) {
    if (e.target.classList.contains("search-more")) { state.shown += PAGE; render(); }
  });
  document.addEventListener("keydown", function (e) {
    var t = e.target, typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) { e.preventDefault(); input.focus(); input.select(); }
    else if (e.key === "Escape" && !box.hidden) { close(); }
  });
  document.addEventListener("click", function (e) {
    if (!box.hidden && !box.contains(e.target) && e.target !== input && !new URLSearchParams(window.location.search).get("q")) { close(); }
  });

  // For tests and other scripts: the ranked results of a query, without the interface.
  S.query = function (q) {
    return search(q).then(function (r) {
      return Promise.all(r.hits.slice(0, 20).map(function (h) { return section(h.sec); })).then(function (rows) {
        return rows.map(function (x, i) {
          return x && { url: x.url, anchor: x.anchor, title: x.title, kind: x.kind, tier: r.hits[i].tier, snippet: snippet(x.text, r.terms) };
        });
      });
    });
  };

  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) { input.value = initial; run(initial); }
})();
