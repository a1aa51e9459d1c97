//! The `archive-bot` command line: parses flags ([`cli`]), runs the command
//! ([`cli::commands`]) and turns its outcome into an exit code: 0 ok, 1
//! failure, 2 usage, 3 a configuration error of `serve` (token missing or
//! refused).

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if !cli.command.builds() {
        keep_large_allocations_mapped();
    }
    init_logging(cli.command.is_long_running());
    match cli::commands::run(cli) {
        Ok(code) => code,
        // `archive-bot search … | head`: the reader has all it wanted.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Each cause once: `context: cause: cause`.
            eprintln!("error: {e:#}");
            if e.downcast_ref::<cli::Usage>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Pins glibc's mmap threshold at 1 MiB for the commands that answer.
///
/// glibc raises the threshold to the size of any mapped block that is freed
/// (up to 32 MiB), so after the corpus check frees its file list (tens of
/// MB for a large archive) every later large buffer comes from the heap and
/// stays there: measured at 200,000 articles, the answering process's peak
/// RSS then varies from 266 to 308 MB between identical runs; pinned, it is
/// 248 MB every time. The build keeps the default (pinned, it runs up to 10%
/// slower: its large buffers come and go).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_large_allocations_mapped() {
    // SAFETY: mallopt only sets an allocator parameter; it is called before
    // any other thread exists, and a refusal (return 0) changes nothing.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_large_allocations_mapped() {}

/// Whether the failure was writing to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Logs go to stderr (`RUST_LOG` filters them), coloured only on a terminal.
fn init_logging(timestamps: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    if timestamps {
        builder.init();
    } else {
        builder.without_time().init();
    }
}
