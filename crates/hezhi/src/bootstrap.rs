//! The first administrators: when the database has no users, `hezhi serve` and
//! `hezhi migrate` create `sysadmin` (system_admin), `secadmin` (security_admin) and
//! `auditor` (auditor), bound to the configured `bootstrap_region`, and print their random
//! passwords once on standard error. Each must change the password and enrol a TOTP
//! authenticator at the first sign-in.

use crate::config::Config;
use anyhow::{Context, bail};
use hezhi_app::{App, SystemClock};
use hezhi_domain::RegionCode;
use hezhi_store::{Region, Store};
use std::sync::Arc;

/// The province list shipped in `data/divisions`, for a database with no regions yet.
const PROVINCES_CSV: &str = include_str!("../../../data/divisions/provinces.csv");

fn shipped_provinces() -> anyhow::Result<Vec<Region>> {
    let mut reader = csv::Reader::from_reader(PROVINCES_CSV.as_bytes());
    reader
        .records()
        .map(|record| {
            let record = record?;
            let code = RegionCode::parse(record.get(0).unwrap_or_default())?;
            Ok(Region {
                level: code.level(),
                parent: code.parent(),
                code,
                name: record.get(1).unwrap_or_default().trim().to_owned(),
            })
        })
        .collect()
}

/// The region to bind the administrators to: the configured one, else `fallback`, else the
/// first province in the database. A province that is missing is stored from the shipped list
/// first.
async fn region(
    store: &dyn Store,
    config: &Config,
    fallback: Option<RegionCode>,
) -> anyhow::Result<Region> {
    let provinces = shipped_provinces()?;
    let chosen = match &config.bootstrap_region {
        Some(code) => Some(RegionCode::parse(code)?),
        None => fallback,
    };
    if let Some(code) = chosen {
        if let Some(region) = store.region(&code).await? {
            return Ok(region);
        }
        let Some(province) = provinces.into_iter().find(|p| p.code == code) else {
            bail!(
                "bootstrap_region {code} is not in the database: import the divisions first \
                 (hezhi import divisions data/divisions) or name a province"
            );
        };
        store
            .upsert_regions(std::slice::from_ref(&province))
            .await?;
        return Ok(province);
    }
    for province in &provinces {
        if let Some(region) = store.region(&province.code).await? {
            return Ok(region);
        }
    }
    store.upsert_regions(&provinces).await?;
    provinces
        .into_iter()
        .next()
        .context("the shipped province list is empty")
}

/// Creates the administrators of an empty database and tells the operator their passwords.
/// Without a configured `bootstrap_region` they are bound to `fallback` (the demo's province
/// when the demo is about to be loaded), else to the first province in the database.
pub async fn administrators(
    store: &Arc<dyn Store>,
    config: &Config,
    fallback: Option<RegionCode>,
) -> anyhow::Result<()> {
    if store.count_users().await? > 0 {
        return Ok(());
    }
    let region = region(store.as_ref(), config, fallback).await?;
    let app = App::new(Arc::clone(store), Arc::new(SystemClock));
    let result = app.bootstrap_admins(&region.code).await;
    app.shutdown().await;
    let admins = result?;
    if admins.is_empty() {
        return Ok(());
    }
    eprintln!(
        "No users yet: created the administrators, bound to {} {}. Their passwords are shown \
         this once:",
        region.code, region.name
    );
    for admin in &admins {
        eprintln!(
            "  {:<10} {:<15} {}",
            admin.user.name,
            admin.role.as_str(),
            admin.password
        );
    }
    eprintln!(
        "Sign in with POST /api/v1/session {{\"name\", \"password\"}}; each must change the \
         password, then enrol an authenticator app (TOTP), before anything else."
    );
    Ok(())
}
