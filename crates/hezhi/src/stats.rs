//! `hezhi stats` (the indicators of a region and period, and `rebuild`) and `hezhi export`
//! (the dispute ledger and the monthly report, to a file).

use anyhow::Context;
use hezhi_app::export::{ExportFormat, ExportKind, ExportRequest};
use hezhi_app::{App, Period};
use hezhi_domain::{CaseKind, CaseState, CategoryCode, RegionCode};
use indicatif::{ProgressBar, ProgressStyle};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct StatsArgs {
    #[command(subcommand)]
    command: Option<StatsCommand>,
    #[command(flatten)]
    scope: Option<RegionPeriod>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// A region subtree and a period of China days, both ends included.
#[derive(Debug, clap::Args)]
pub struct RegionPeriod {
    /// The region whose subtree is counted (a division code).
    #[arg(long)]
    region: String,
    /// The first China day, YYYY-MM-DD.
    #[arg(long)]
    from: String,
    /// The last China day, YYYY-MM-DD.
    #[arg(long)]
    to: String,
}

impl RegionPeriod {
    fn parse(&self) -> anyhow::Result<(RegionCode, Period)> {
        Ok((
            RegionCode::parse(&self.region)?,
            Period::parse(&self.from, &self.to)?,
        ))
    }
}

#[derive(Debug, clap::Subcommand)]
enum StatsCommand {
    /// Recompute every rollup from the event log (after an upgrade, or to check the live
    /// figures: the result must be the same).
    Rebuild,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// `ledger` (矛盾纠纷排查化解台账) or `report` (月度统计报表).
    kind: String,
    #[command(flatten)]
    scope: RegionPeriod,
    /// xlsx, csv (UTF-8 with a BOM) or html (print-ready A4).
    #[arg(long, default_value = "xlsx")]
    format: String,
    /// The file to write (replaced if it exists).
    #[arg(long)]
    output: PathBuf,
    /// Ledger only: cases of this kind (dispute, request, hazard, consultation, petition).
    #[arg(long)]
    case_kind: Option<String>,
    /// Ledger only: cases of this category code.
    #[arg(long)]
    category: Option<String>,
    /// Ledger only: cases in this state.
    #[arg(long)]
    state: Option<String>,
}

fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner().with_message(message.to_owned());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {pos} {elapsed_precise}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

pub async fn stats(app: &App, args: StatsArgs) -> anyhow::Result<()> {
    match (args.command, args.scope) {
        (Some(StatsCommand::Rebuild), _) => {
            let started = Instant::now();
            let bar = spinner("cases replayed");
            let summary = app.rebuild_rollups(&|done| bar.set_position(done)).await?;
            bar.finish_and_clear();
            println!(
                "rebuilt the rollups from {} cases ({} events) in {:.1} s",
                summary.cases,
                summary.events,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        (None, Some(scope)) => {
            let (region, period) = scope.parse()?;
            let indicators = app.operator_indicators(&region, period).await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&indicators)?);
            } else {
                print!("{}", table(&indicators));
            }
            Ok(())
        }
        (None, None) => anyhow::bail!(
            "ask for a region and period (--region CODE --from DATE --to DATE) or `rebuild`"
        ),
    }
}

/// The labels of the counts, in the order of [`hezhi_domain::indicators::Tally::FIELDS`].
pub const COUNT_LABELS: [&str; hezhi_domain::indicators::TALLY_FIELDS] = [
    "受理 reported",
    "派遣 dispatched",
    "办结 closed",
    "应结 due for closure",
    "应结已结 closed of due",
    "按期办结 closed on time",
    "排查 screened",
    "预防 prevented",
    "调解 mediations",
    "调解成功 settled",
    "首问办结 first contact",
    "返工 reworked",
    "回访 followed up",
    "满意 satisfied",
    "基本满意 basically satisfied",
    "就地化解 resolved locally",
    "涉及金额 amount (yuan)",
    "涉及人数 people",
];

fn table(indicators: &hezhi_app::Indicators) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}) {} .. {}",
        indicators.region.name,
        indicators.region.code,
        indicators.period.from,
        indicators.period.to
    );
    for (label, count) in COUNT_LABELS.iter().zip(indicators.counts.counts()) {
        let _ = writeln!(out, "  {label:<32} {count:>12}");
    }
    for rate in &indicators.rates {
        let shown = rate
            .percent
            .map_or_else(|| "—".to_owned(), |p| format!("{p:.2}%"));
        let _ = writeln!(
            out,
            "  {:<32} {shown:>12}  ({} / {})",
            rate.key, rate.numerator, rate.denominator
        );
    }
    if !indicators.children.is_empty() {
        let _ = writeln!(out, "  by region below: reported, closed, closure rate");
        for child in &indicators.children {
            let _ = writeln!(
                out,
                "    {} {:<16} {:>8} {:>8} {:>9}",
                child.region.code,
                child.region.name,
                child.counts.reported,
                child.counts.closed,
                child.counts.closure_rate().show(2)
            );
        }
    }
    out
}

pub async fn export(app: &App, args: ExportArgs) -> anyhow::Result<()> {
    let parse_kind = |text: &str| -> anyhow::Result<CaseKind> {
        serde_json::from_value(serde_json::Value::String(text.to_owned()))
            .with_context(|| format!("`{text}` is not a case kind"))
    };
    let (region, period) = args.scope.parse()?;
    let request = ExportRequest {
        kind: ExportKind::parse(&args.kind)?,
        region,
        period,
        format: ExportFormat::parse(&args.format)?,
        case_kind: args.case_kind.as_deref().map(parse_kind).transpose()?,
        category: args
            .category
            .as_deref()
            .map(CategoryCode::parse)
            .transpose()?,
        state: args
            .state
            .as_deref()
            .map(|s| {
                CaseState::parse(s).ok_or_else(|| anyhow::anyhow!("`{s}` is not a case state"))
            })
            .transpose()?,
    };
    let started = Instant::now();
    let bar = spinner("cases read");
    let file = app
        .operator_export(&request, &|done| bar.set_position(done as u64))
        .await?;
    bar.finish_and_clear();
    let temporary = args.output.with_extension("partial");
    std::fs::write(&temporary, &file.bytes)
        .with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, &args.output)
        .with_context(|| format!("writing {}", args.output.display()))?;
    println!(
        "wrote {} ({} cases, {} bytes) in {:.1} s; recorded in the audit log",
        args.output.display(),
        file.cases,
        file.bytes.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
