//! `hezhi audit verify` and `hezhi audit search`: the operator's view of the audit log.

use crate::config::Config;
use anyhow::bail;
use hezhi_app::{App, AuditQuery};
use hezhi_store::audit::{VERIFY_PAGE, VerifyProgress, verify_log};
use hezhi_store::{AuditEntry, ChainReport, Store};
use indicatif::{ProgressBar, ProgressStyle};

/// Walks every chain with a progress bar on standard error, prints each chain with its
/// entries and head, and fails naming the entry when a chain was tampered with.
pub async fn verify(store: &dyn Store, config: &Config) -> anyhow::Result<()> {
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} entries ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("verifying the audit log");
    let reports = verify_log(store, VERIFY_PAGE, &mut |progress| match progress {
        VerifyProgress::Started { entries, .. } => bar.set_length(entries),
        VerifyProgress::Read { entries } => bar.inc(entries),
    })
    .await?;
    bar.finish_and_clear();

    println!(
        "{:<8} {:>10}  {:<22} head",
        "chain", "entries", "sealed with"
    );
    for report in &reports {
        print_chain(report);
    }
    let entries: u64 = reports.iter().map(|r| r.entries).sum();
    let findings: Vec<_> = reports.iter().filter_map(|r| r.finding.as_ref()).collect();
    if findings.is_empty() {
        println!(
            "verified {} chains, {entries} entries: no entry was changed, removed or inserted",
            reports.len()
        );
        println!(
            "new entries are sealed with {}; the log is kept at least {} days",
            config.audit_hash, config.audit_retention_days
        );
        println!(
            "keep the heads above somewhere else too: only they show a log rewritten from the start"
        );
        return Ok(());
    }
    for finding in &findings {
        println!("TAMPERED {}: {finding}", finding.kind());
    }
    bail!(
        "the audit log was tampered with: {} of {} chains failed verification",
        findings.len(),
        reports.len()
    )
}

fn print_chain(report: &ChainReport) {
    let sealed: Vec<String> = report
        .sealed_with
        .iter()
        .map(|(hash, count)| {
            if report.sealed_with.len() == 1 {
                hash.to_string()
            } else {
                format!("{hash} {count}")
            }
        })
        .collect();
    let head = match (&report.finding, &report.head) {
        (Some(_), _) => "TAMPERED".to_owned(),
        (None, Some(head)) => format!("{} {}", head.seq, head.hash),
        (None, None) => "-".to_owned(),
    };
    println!(
        "{:<8} {:>10}  {:<22} {head}",
        report.chain,
        report.entries,
        sealed.join(", ")
    );
}

/// Searches the whole log (the search is recorded) and prints one line per entry, newest
/// first: time, chain:seq, action, user, case, detail.
pub async fn search(app: &App, query: &AuditQuery) -> anyhow::Result<()> {
    let entries = app.search_audit_at_console(query).await?;
    for entry in &entries {
        println!("{}", line(entry));
    }
    match entries.len() {
        1 => eprintln!("1 entry"),
        n => eprintln!("{n} entries"),
    }
    Ok(())
}

fn line(entry: &AuditEntry) -> String {
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "-".into());
    format!(
        "{}\t{}:{}\t{}\tuser={}\tcase={}\t{}",
        entry
            .at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        entry.chain,
        entry.seq,
        entry.action,
        or_dash(entry.actor.map(|a| a.to_string())),
        or_dash(entry.case.map(|c| c.to_string())),
        entry.detail
    )
}
