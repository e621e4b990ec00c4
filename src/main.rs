//! The `ismsbook` command line: parses arguments, runs a command, prints diagnostics and
//! exits 0 (success), 1 (the handbook has errors, or warnings under --deny-warnings) or 2
//! (bad command line or unreadable configuration).

use clap::{Parser, Subcommand, ValueEnum};
use ismsbook::build::{self, Mode, Options};
use ismsbook::diagnostics::{Diagnostic, Fatal, display_path};
use ismsbook::serve::{Failure, ServeOptions};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of the system allocator: a build makes and frees millions of small strings
/// on every core (pages, template values, Markdown events), where glibc's malloc spent a fifth
/// of the user CPU of a clean build (its free lists consolidated under contention).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Hands memory that mimalloc no longer uses back to the system after 2 ms instead of its
/// default 10 ms (100 ms for whole arenas), so that the peak resident memory of a build stays
/// what it was with glibc (204 MB at 10,000 documents; 250 MB with the defaults).
///
/// On Linux it also opts the process out of transparent huge pages: mimalloc asks for them on
/// its large arenas, and a 2 MB page that holds a few live kilobytes counts whole in the
/// resident memory and cannot be purged piecemeal.
fn tune_allocator() {
    /// `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (mimalloc 3, as libmimalloc-sys
    /// 0.1.49 builds it; `mi_option_use_numa_nodes`, the next one, is 16 in libmimalloc-sys).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets one of mimalloc's global options (an atomic), read when memory is purged.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 2) }
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and changes a flag of this
    // process; a kernel that does not know it returns an error, which changes nothing.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Build an ISMS handbook: policies in Markdown and a control catalogue in YAML become a
/// cross-linked static website with the Statement of Applicability, the document register
/// and the coverage gaps an ISO/IEC 27001 auditor asks for.
#[derive(Parser)]
#[command(name = "ismsbook", version, about, long_about = None, after_help = "Start with `ismsbook init my-isms`, then `ismsbook build my-isms` and open my-isms/book/index.html.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the handbook into its build dir (default: book/ next to book.toml)
    Build {
        /// The folder that holds book.toml
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Write the site here instead of the configured build dir (relative to the current folder)
        #[arg(short = 'd', long = "dest-dir", value_name = "BUILD_DIR")]
        build_dir: Option<PathBuf>,
        /// Publish documents up to this classification level (e.g. confidential)
        #[arg(long, value_name = "LEVEL")]
        classification: Option<String>,
        /// Print the wall time of each stage (also ISMSBOOK_LOG=timings)
        #[arg(long)]
        timings: bool,
    },
    /// Build, serve the build dir with live reload, rebuild on every change (Ctrl-C stops)
    Serve {
        /// The folder that holds book.toml
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The port to listen on
        #[arg(short, long, default_value_t = 3000)]
        port: u16,
        /// The address to listen on (anything but loopback exposes the handbook to the network)
        #[arg(short = 'n', long = "hostname", default_value = "127.0.0.1", value_name = "HOST")]
        host: String,
        /// Open the handbook in the default browser
        #[arg(long)]
        open: bool,
    },
    /// Validate the handbook and report problems without writing anything
    Check {
        /// The folder that holds book.toml
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// How to print diagnostics
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Fail (exit status 1) on warnings too: the gate to put in CI
        #[arg(long)]
        deny_warnings: bool,
        /// Check as a build at this classification level would see the handbook
        #[arg(long, value_name = "LEVEL")]
        classification: Option<String>,
        /// Print the wall time of each stage (also ISMSBOOK_LOG=timings)
        #[arg(long)]
        timings: bool,
    },
    /// Create a new handbook that builds without a warning
    Init {
        /// Where to create it (created if missing)
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Include the complete ISO/IEC 27001:2022 catalogue instead of the two-control starter
        #[arg(long)]
        full: bool,
        /// Write the built-in theme into THEME_DIR for editing (and nothing else); then set
        /// `[output.html] theme` in book.toml to that folder
        #[arg(long, value_name = "THEME_DIR")]
        theme: Option<PathBuf>,
    },
    /// Delete the build dir (only a folder ismsbook wrote)
    Clean {
        /// The folder that holds book.toml
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // A bad command line (exit status 2) is also JSON when `check --format json` was asked for.
        Err(e) if e.use_stderr() && wants_json(&std::env::args().collect::<Vec<_>>()) => {
            let message = e.to_string().lines().next().unwrap_or_default().trim_start_matches("error: ").to_string();
            let d = Diagnostic::error("usage", std::path::Path::new(""), message);
            eprintln!("{e}");
            println!("{}", serde_json::to_string_pretty(&[d]).unwrap_or_else(|_| "[]".into()));
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    let json = matches!(cli.command, Command::Check { format: Format::Json, .. });
    match run(cli.command) {
        Ok(code) => code,
        Err(Fatal(d)) => {
            eprintln!("{}", d.human());
            if json {
                println!("{}", serde_json::to_string_pretty(&[&d]).unwrap_or_else(|_| "[]".into()));
            }
            ExitCode::from(2)
        }
    }
}

/// Whether a command line asks for `check --format json` (read before clap has parsed it).
fn wants_json(args: &[String]) -> bool {
    args.iter().skip(1).any(|a| a == "check")
        && (args.iter().any(|a| a == "--format=json") || args.windows(2).any(|w| w[0] == "--format" && w[1] == "json"))
}

fn run(command: Command) -> Result<ExitCode, Fatal> {
    match command {
        Command::Build { dir, build_dir, classification, timings } => {
            let report = build::run(&Options { dir, build_dir, classification, timings }, Mode::Build)?;
            print_human(&report.diagnostics);
            eprintln!("{}", report.summary);
            Ok(exit(report.errors > 0))
        }
        Command::Serve { dir, port, host, open } => {
            let opts = ServeOptions { build: Options { dir, ..Options::default() }, host, port, open };
            match ismsbook::serve::serve(&opts) {
                Ok(()) => Ok(ExitCode::SUCCESS),
                Err(Failure::Fatal(f)) => Err(f),
                Err(Failure::Listen(message)) => {
                    eprintln!("error: {message}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::Check { dir, format, deny_warnings, classification, timings } => {
            let report = build::run(&Options { dir, build_dir: None, classification, timings }, Mode::Check)?;
            match format {
                Format::Human => {
                    print_human(&report.diagnostics);
                    eprintln!("{}: {} error(s), {} warning(s)", report.summary, report.errors, report.warnings);
                }
                Format::Json => {
                    let json = serde_json::to_string_pretty(&report.diagnostics).unwrap_or_else(|_| "[]".into());
                    println!("{json}");
                }
            }
            Ok(exit(report.errors > 0 || (deny_warnings && report.warnings > 0)))
        }
        Command::Init { theme: Some(theme_dir), .. } => {
            let written = ismsbook::init::write_theme(&theme_dir)?;
            for f in &written {
                eprintln!("created {}", display_path(f));
            }
            eprintln!(
                "next: set `theme = \"{}\"` under [output.html] in book.toml (relative to book.toml); files you delete fall back to the built-in theme",
                display_path(&theme_dir)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { dir, full, theme: None } => {
            let written = ismsbook::init::init(&dir, full)?;
            for f in &written {
                eprintln!("created {}", display_path(f));
            }
            eprintln!("next: ismsbook build {}", display_path(&dir));
            Ok(ExitCode::SUCCESS)
        }
        Command::Clean { dir } => {
            let (config, _) = build::configure(&Options { dir, ..Options::default() })?;
            if ismsbook::output::clean(&config)? {
                eprintln!("removed {}", display_path(&config.build_dir));
            } else {
                eprintln!("nothing to clean: {} does not exist", display_path(&config.build_dir));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_human(diags: &[Diagnostic]) {
    for d in diags {
        eprintln!("{}", d.human());
    }
}

fn exit(failed: bool) -> ExitCode {
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
