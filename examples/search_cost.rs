//! Measures what indexing costs, apart from the rest of a build.
//!
//!     cargo run --release --example search_cost -- BOOK_DIR BUILT_SITE [REPEAT]
//!
//! Analyses the handbook in BOOK_DIR, reads every page of the site already built into
//! BUILT_SITE, then times (REPEAT times, default 3) feeding those pages to a fresh
//! `SearchIndex` in parallel, as a build does, and making its files in memory. Prints each
//! phase's wall time, the files' number and size, and the process's CPU time.

use ismsbook::build::{Options, analyse, configure};
use ismsbook::diagnostics::Diagnostics;
use ismsbook::search::SearchIndex;
use rayon::prelude::*;
use std::time::Instant;

/// CPU seconds this process has used (user + system).
fn cpu() -> f64 {
    let mut u = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let u = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, u.as_mut_ptr());
        u.assume_init()
    };
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    s(u.ru_utime) + s(u.ru_stime)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: search_cost BOOK_DIR BUILT_SITE [REPEAT]");
        std::process::exit(2);
    }
    let repeat: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(3);
    let opts = Options { dir: args[1].clone().into(), ..Options::default() };
    let (config, _) = configure(&opts).expect("book.toml");
    let a = analyse(config, &mut Diagnostics::default()).expect("analysis");
    let site = std::path::PathBuf::from(&args[2]);
    let pages: Vec<(String, String)> = walkdir::WalkDir::new(&site)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "html") && !e.path().ends_with("print.html"))
        .filter_map(|e| {
            let rel = e.path().strip_prefix(&site).ok()?.to_string_lossy().into_owned();
            Some((rel, std::fs::read_to_string(e.path()).ok()?))
        })
        .collect();
    eprintln!("{} pages read", pages.len());
    // The stages of indexing alone: cutting pages into sections, then tokenizing them too.
    let stages = std::env::var_os("STAGES").is_some();
    let (t, c) = (Instant::now(), cpu());
    let n: usize = pages
        .par_iter()
        .filter(|_| stages)
        .map(|(_, html)| ismsbook::search::sections::sections(html).sections.len())
        .sum();
    println!("sections: {n} in {:.0} ms ({:.0} ms CPU)", t.elapsed().as_secs_f64() * 1e3, (cpu() - c) * 1e3);
    let (t, c) = (Instant::now(), cpu());
    let n: usize = pages
        .par_iter()
        .filter(|_| stages)
        .map(|(_, html)| {
            let text = ismsbook::search::sections::sections(html);
            let mut n = 0;
            ismsbook::search::tokenize::tokens(&text.text, |_| n += 1);
            n
        })
        .sum();
    println!("+ tokens: {n} in {:.0} ms ({:.0} ms CPU)", t.elapsed().as_secs_f64() * 1e3, (cpu() - c) * 1e3);
    let inuse = || unsafe { libc::mallinfo2() }.uordblks as f64 / 1e6;
    for _ in 0..repeat {
        let before = inuse();
        let ix = SearchIndex::new(&a.hb);
        let (t, c) = (Instant::now(), cpu());
        pages.par_iter().for_each(|(url, html)| ix.add(url, html));
        let (added, added_cpu) = (t.elapsed(), cpu() - c);
        let heap = ix.heap();
        let parts: Vec<String> = heap.iter().map(|(part, n)| format!("{part} {:.1}", *n as f64 / 1e6)).collect();
        let total: usize = heap.iter().map(|(_, n)| n).sum();
        println!(
            "index holds {:.1} MB: {}; malloc in use +{:.1} MB",
            total as f64 / 1e6,
            parts.join(", "),
            inuse() - before
        );
        let (t, c) = (Instant::now(), cpu());
        let files = ix.files();
        let (made, made_cpu) = (t.elapsed(), cpu() - c);
        let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
        println!(
            "add {:.0} ms ({:.0} ms CPU), files {:.0} ms ({:.0} ms CPU): {} files, {:.1} MB",
            added.as_secs_f64() * 1e3,
            added_cpu * 1e3,
            made.as_secs_f64() * 1e3,
            made_cpu * 1e3,
            files.len(),
            bytes as f64 / 1e6
        );
        drop(files);
        drop(ix);
        println!("after the index is dropped: malloc in use +{:.1} MB", inuse() - before);
    }
}
