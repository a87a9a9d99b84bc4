//! `hezhi import divisions DIR`: the statistical division codes, all five levels.

use anyhow::{Context, bail};
use flate2::read::GzDecoder;
use hezhi_domain::RegionCode;
use hezhi_store::{Region, Store};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Read;
use std::path::Path;

/// The division files, top level first, so parents are stored before their children.
pub const FILES: [&str; 5] = [
    "provinces.csv",
    "cities.csv",
    "areas.csv",
    "streets.csv",
    "villages.csv.gz",
];

/// Reads every division file under `dir` (optionally only the regions within `only`, and
/// their ancestors).
pub fn read_divisions(dir: &Path, only: &[RegionCode]) -> anyhow::Result<Vec<Region>> {
    let mut regions = Vec::new();
    for name in FILES {
        let path = dir.join(name);
        let file = std::fs::File::open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let reader: Box<dyn Read> = if name.ends_with(".gz") {
            Box::new(GzDecoder::new(file))
        } else {
            Box::new(file)
        };
        let mut csv = csv::Reader::from_reader(reader);
        for (line, record) in csv.records().enumerate() {
            let record =
                record.with_context(|| format!("{}: line {}", path.display(), line + 2))?;
            let (Some(code), Some(region_name)) = (record.get(0), record.get(1)) else {
                bail!("{}: line {}: expected code,name", path.display(), line + 2);
            };
            let code = RegionCode::parse(code)
                .with_context(|| format!("{}: line {}", path.display(), line + 2))?;
            let wanted =
                only.is_empty() || only.iter().any(|o| code.is_within(o) || o.is_within(&code));
            if wanted {
                regions.push(Region {
                    level: code.level(),
                    parent: code.parent(),
                    code,
                    name: region_name.trim().to_owned(),
                });
            }
        }
    }
    Ok(regions)
}

/// Stores `regions` in batches, with a progress bar on standard error.
pub async fn store_regions(
    store: &dyn Store,
    regions: &[Region],
    quiet: bool,
) -> anyhow::Result<()> {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(regions.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("regions");
    for chunk in regions.chunks(20_000) {
        store.upsert_regions(chunk).await?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish();
    Ok(())
}

pub async fn divisions(store: &dyn Store, dir: &Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let regions = read_divisions(dir, &[])?;
    eprintln!("read {} regions from {}", regions.len(), dir.display());
    store_regions(store, &regions, false).await?;
    let total = store.count_regions().await?;
    eprintln!(
        "imported {} regions in {:.1} s; {} regions stored",
        regions.len(),
        started.elapsed().as_secs_f64(),
        total
    );
    Ok(())
}
