//! Printing a page the way a clinic does: headless Chromium to PDF, then the PDF's text
//! back with pdftotext, for the tests of the printable pages (aftercare plan, consent form).

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration as StdDuration, Instant},
};

/// What a finished command left behind.
struct Ran {
    status: std::process::ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs a command to completion in a thread of its own, killing it after `limit`. Its output
/// goes to files in `dir` (a pipe nobody reads could stall it). `None` when it cannot start.
fn run_bounded(mut command: Command, limit: StdDuration, dir: &Path, label: &str) -> Option<Ran> {
    let (out_path, err_path) = (dir.join(format!("{label}.stdout")), dir.join(format!("{label}.stderr")));
    let out = std::fs::File::create(&out_path).expect("stdout file");
    let err = std::fs::File::create(&err_path).expect("stderr file");
    let handle = std::thread::spawn(move || {
        let mut child = command.stdin(Stdio::null()).stdout(out).stderr(err).spawn().ok()?;
        let started = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if started.elapsed() < limit => std::thread::sleep(StdDuration::from_millis(100)),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("{command:?} did not finish within {limit:?}");
                }
            }
        }
    });
    let status = handle.join().unwrap_or_else(|e| std::panic::resume_unwind(e))?;
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    Some(Ran { status, stdout: read(&out_path), stderr: read(&err_path) })
}

fn installed(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| Path::new(&dir).join(program).is_file()))
}

/// Collapses all runs of whitespace, so that text wrapped in a table cell still matches.
fn flatten(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Prints the page to PDF with headless Chromium and reads the PDF's text back with
/// pdftotext, whitespace flattened. `None` (and a loud line) when the tools are not installed
/// on a developer's machine; in CI (`CI` set), where `.ci/run` installs them, their absence
/// fails the test instead of passing it unseen.
pub fn print_to_text(html: &str) -> Option<String> {
    let (Some(chromium), true) =
        (["chromium", "chromium-browser"].into_iter().find(|p| installed(p)), installed("pdftotext"))
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium and pdftotext (poppler-utils) must be installed in CI to print the aftercare plan"
        );
        eprintln!("SKIPPED printing the aftercare plan: chromium and pdftotext (poppler-utils) are not both installed");
        return None;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("aftercare-plan.html");
    let pdf = dir.path().join("aftercare-plan.pdf");
    let profile = dir.path().join("profile");
    std::fs::write(&page, html).expect("write the page");

    let mut print = Command::new(chromium);
    print
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .env("HOME", dir.path());
    let printed = run_bounded(print, StdDuration::from_secs(60), dir.path(), "chromium").expect("chromium starts");
    assert!(
        pdf.is_file() && std::fs::metadata(&pdf).map(|m| m.len()).unwrap_or(0) > 0,
        "chromium printed the page ({}): {}",
        printed.status,
        printed.stderr
    );
    let pdf_bytes = std::fs::read(&pdf).expect("read the PDF");
    assert!(pdf_bytes.starts_with(b"%PDF-"), "a PDF file");

    let mut extract = Command::new("pdftotext");
    extract.arg(&pdf).arg("-");
    let extracted =
        run_bounded(extract, StdDuration::from_secs(60), dir.path(), "pdftotext").expect("pdftotext starts");
    assert!(extracted.status.success(), "pdftotext: {}", extracted.stderr);
    Some(flatten(&extracted.stdout))
}
