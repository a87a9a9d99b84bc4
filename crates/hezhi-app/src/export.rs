//! Exports: the dispute ledger (矛盾纠纷排查化解台账, one row per case) and the monthly report
//! in the layout of the people's-mediation statistics, as `.xlsx`, CSV (UTF-8 with a BOM) or
//! a print-ready A4 HTML page. Personal data is masked in every export (names 陈**, phones
//! 138****1234, addresses cut after the street), and every export is written to the audit
//! log with what was asked and how many rows went out.

use crate::error::AppError;
use crate::service::App;
use crate::stats::Period;
use chrono::{DateTime, Duration, Utc};
use hezhi_domain::indicators::{Rate, china_day};
use hezhi_domain::{
    Case, CaseKind, CaseState, CategoryCode, Channel, Outcome, Principal, RegionCode, Satisfaction,
    Urgency, ValidationError, masked_address,
};
use hezhi_export::{Cell, Column, Section, Sheet};
use hezhi_store::{AuditRecord, CaseFilter, PageRequest};
use std::collections::BTreeMap;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// 矛盾纠纷排查化解台账: one row per case reported in the period.
    Ledger,
    /// 月度统计报表: disputes by type × source × outcome, with month-on-month and
    /// year-on-year change.
    Report,
}

impl ExportKind {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        match text {
            "ledger" => Ok(Self::Ledger),
            "report" => Ok(Self::Report),
            _ => Err(ValidationError::new(
                "kind",
                "unknown_export",
                "an export is `ledger` or `report`",
            )),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ledger => "ledger",
            Self::Report => "report",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    Csv,
    Html,
}

impl ExportFormat {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        match text {
            "xlsx" => Ok(Self::Xlsx),
            "csv" => Ok(Self::Csv),
            "html" => Ok(Self::Html),
            _ => Err(ValidationError::new(
                "format",
                "unknown_format",
                "a format is `xlsx`, `csv` or `html`",
            )),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Xlsx => "xlsx",
            Self::Csv => "csv",
            Self::Html => "html",
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Html => "text/html; charset=utf-8",
        }
    }
}

/// An export asked for.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub kind: ExportKind,
    pub region: RegionCode,
    pub period: Period,
    pub format: ExportFormat,
    /// Ledger filters (the report ignores them).
    pub case_kind: Option<CaseKind>,
    pub category: Option<CategoryCode>,
    pub state: Option<CaseState>,
}

impl ExportRequest {
    /// The cases of the ledger: those the filters keep.
    fn ledger_cases<'a>(&self, cases: &'a [Case]) -> Vec<&'a Case> {
        cases
            .iter()
            .filter(|c| self.case_kind.is_none_or(|k| c.data.kind == k))
            .filter(|c| self.category.as_ref().is_none_or(|k| c.data.category == *k))
            .filter(|c| self.state.is_none_or(|s| c.state == s))
            .collect()
    }
}

/// An export made.
#[derive(Debug, Clone)]
pub struct ExportFile {
    /// e.g. `台账-370811-2026-03-01-2026-03-31.xlsx`.
    pub file_name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    /// Cases that went into it.
    pub cases: usize,
}

/// Cases read per page while gathering an export.
const PAGE: u32 = 500;

impl App {
    /// An export for a user whose role may export the region's figures (`export` inside his
    /// scope); anyone else is told the region does not exist.
    pub async fn export(
        &self,
        principal: &Principal,
        request: &ExportRequest,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<ExportFile, AppError> {
        if !Self::may_see_figures(principal, &request.region) {
            return Err(AppError::NotFound("region"));
        }
        self.export_as(Some(principal), request, progress).await
    }

    /// An export by the operator at the server's console (`hezhi export`), who holds the
    /// database itself; audited all the same, with no user.
    pub async fn operator_export(
        &self,
        request: &ExportRequest,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<ExportFile, AppError> {
        self.export_as(None, request, progress).await
    }

    async fn export_as(
        &self,
        principal: Option<&Principal>,
        request: &ExportRequest,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<ExportFile, AppError> {
        let (region, _) = self.region_with_children(&request.region).await?;
        let names = self.names().await?;
        // The report compares with the same period a year before: read back that far.
        let earliest = match request.kind {
            ExportKind::Ledger => request.period.from,
            ExportKind::Report => request.period.shifted_months(12).from,
        };
        let cases = self
            .cases_reported_between(&region.code, earliest, request.period.to, progress)
            .await?;
        let (title, sheets, sections, count) = match request.kind {
            ExportKind::Ledger => {
                let rows = request.ledger_cases(&cases);
                let sheet = ledger_sheet(&rows, &names);
                let title = format!("{}矛盾纠纷排查化解台账", region.name);
                (title, vec![sheet], None, rows.len())
            }
            ExportKind::Report => {
                let report = MonthlyReport::of(&cases, request.period, &names);
                let title = format!("{}人民调解工作统计报表", region.name);
                let count = report.current_cases;
                let sheets = report.sheets();
                (title, sheets, Some(report.sections()), count)
            }
        };
        let subtitle = format!(
            "统计区域：{}（{}）　统计期间：{} 至 {}　个人信息已脱敏",
            region.name, region.code, request.period.from, request.period.to
        );
        let bytes = match request.format {
            ExportFormat::Xlsx => {
                let mut sheets = sheets;
                if let Some(first) = sheets.first_mut() {
                    first.title = Some(format!("{title}　{subtitle}"));
                }
                hezhi_export::xlsx(&sheets).map_err(|e| AppError::Internal(e.to_string()))?
            }
            ExportFormat::Csv => {
                let first = sheets
                    .into_iter()
                    .next()
                    .ok_or_else(|| AppError::Internal("an export without a table".into()))?;
                hezhi_export::csv(&first)
            }
            // The report fits A4 upright; the ledger's twenty columns need it on its side.
            ExportFormat::Html => match sections {
                Some(sections) => hezhi_export::html_document(&title, &subtitle, &sections),
                None => {
                    let sections: Vec<Section> = sheets.iter().map(section_of).collect();
                    hezhi_export::html_document_landscape(&title, &subtitle, &sections)
                }
            }
            .into_bytes(),
        };
        let label = match request.kind {
            ExportKind::Ledger => "台账",
            ExportKind::Report => "统计报表",
        };
        let file_name = format!(
            "{label}-{}-{}-{}.{}",
            region.code,
            request.period.from,
            request.period.to,
            request.format.as_str()
        );
        self.store()
            .append_audit(vec![AuditRecord {
                at: self.now(),
                actor: principal.map(|p| p.user),
                action: "export".into(),
                case: None,
                county: region.code.county(),
                detail: serde_json::json!({
                    "kind": request.kind.as_str(),
                    "format": request.format.as_str(),
                    "region": region.code.as_str(),
                    "from": request.period.from.to_string(),
                    "to": request.period.to.to_string(),
                    "cases": count,
                    "bytes": bytes.len(),
                    "by": if principal.is_some() { "user" } else { "operator" },
                }),
            }])
            .await?;
        Ok(ExportFile {
            file_name,
            content_type: request.format.content_type(),
            bytes,
            cases: count,
        })
    }

    /// The dispute ledger as a table (masked), for a user whose role may see the region's
    /// figures: what the page `/ledger` shows and `export` writes. `limit` caps the rows.
    pub async fn ledger(
        &self,
        principal: &Principal,
        request: &ExportRequest,
        limit: usize,
    ) -> Result<(hezhi_store::Region, Sheet, usize), AppError> {
        if !Self::may_see_figures(principal, &request.region) {
            return Err(AppError::NotFound("region"));
        }
        let (region, _) = self.region_with_children(&request.region).await?;
        let names = self.names().await?;
        let cases = self
            .cases_reported_between(
                &region.code,
                request.period.from,
                request.period.to,
                &|_| {},
            )
            .await?;
        let rows = request.ledger_cases(&cases);
        let total = rows.len();
        let sheet = ledger_sheet(&rows[..total.min(limit)], &names);
        Ok((region, sheet, total))
    }

    async fn names(&self) -> Result<Names, AppError> {
        let categories = self
            .store()
            .categories()
            .await?
            .into_iter()
            .map(|c| (c.code.as_str().to_owned(), c.name_zh))
            .collect();
        Ok(Names { categories })
    }

    /// Every case in `region`'s subtree reported on the China days `from..=to`, oldest
    /// first, read a page at a time (ids are ordered by report time, so the newest-first
    /// listing stops at the first case before `from`).
    async fn cases_reported_between(
        &self,
        region: &RegionCode,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<Vec<Case>, AppError> {
        let filter = CaseFilter {
            region: Some(region.clone()),
            ..CaseFilter::default()
        };
        let mut page = PageRequest {
            after: None,
            limit: PAGE,
        };
        let mut found = Vec::new();
        'pages: loop {
            let listed = self.store().list_cases(&filter, &page).await?;
            for case in listed.items {
                let day = china_day(case.reported_at);
                if day < from {
                    break 'pages;
                }
                if day <= to {
                    found.push(case);
                }
            }
            progress(found.len());
            match listed.next {
                Some(next) => page.after = Some(next),
                None => break,
            }
        }
        found.reverse();
        Ok(found)
    }
}

/// A table as a section of a printed page.
fn section_of(sheet: &Sheet) -> Section {
    Section {
        heading: sheet.name.clone(),
        note: None,
        columns: sheet.columns.iter().map(|c| c.header.clone()).collect(),
        rows: sheet.rows.clone(),
    }
}

struct Names {
    categories: BTreeMap<String, String>,
}

impl Names {
    fn category(&self, code: &CategoryCode) -> String {
        self.categories
            .get(code.as_str())
            .cloned()
            .unwrap_or_else(|| code.as_str().to_owned())
    }
}

/// China local time of an instant, for date cells.
fn local(at: DateTime<Utc>) -> chrono::NaiveDateTime {
    (at + Duration::hours(8)).naive_utc()
}

fn kind_zh(kind: CaseKind) -> &'static str {
    match kind {
        CaseKind::Dispute => "矛盾纠纷",
        CaseKind::Request => "诉求",
        CaseKind::Hazard => "风险隐患",
        CaseKind::Consultation => "咨询",
        CaseKind::Petition => "信访",
    }
}

fn channel_zh(channel: Channel) -> &'static str {
    match channel {
        Channel::Window => "窗口",
        Channel::Hotline => "热线",
        Channel::GridReport => "网格排查",
        Channel::Online => "网上",
        Channel::Open311 => "接口",
        Channel::Referral => "委托移送",
    }
}

fn state_zh(state: CaseState) -> &'static str {
    match state {
        CaseState::Reported => "已登记",
        CaseState::Accepted => "已受理",
        CaseState::Declined => "不予受理",
        CaseState::Triaged => "已研判",
        CaseState::Dispatched => "已派遣",
        CaseState::InProgress => "办理中",
        CaseState::Resolved => "已办结",
        CaseState::Verified => "已核查",
        CaseState::FollowedUp => "已回访",
        CaseState::Archived => "已归档",
    }
}

fn urgency_zh(urgency: Option<Urgency>) -> &'static str {
    match urgency {
        Some(Urgency::Red) => "红色",
        Some(Urgency::Orange) => "橙色",
        Some(Urgency::Yellow) => "黄色",
        Some(Urgency::Green) => "绿色",
        None => "",
    }
}

fn outcome_zh(outcome: Option<Outcome>) -> &'static str {
    match outcome {
        Some(Outcome::Settled) => "调解成功",
        Some(Outcome::Handled) => "办理完毕",
        Some(Outcome::NotSettled) => "调解不成功",
        Some(Outcome::Withdrawn) => "撤回",
        None => "",
    }
}

fn satisfaction_zh(satisfaction: Option<Satisfaction>) -> &'static str {
    match satisfaction {
        Some(Satisfaction::Satisfied) => "满意",
        Some(Satisfaction::BasicallySatisfied) => "基本满意",
        Some(Satisfaction::Dissatisfied) => "不满意",
        None => "",
    }
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

fn ledger_sheet(cases: &[&Case], names: &Names) -> Sheet {
    let columns = [
        ("序号", 6.0),
        ("案件编号", 22.0),
        ("登记时间", 17.0),
        ("来源", 10.0),
        ("事件类型", 10.0),
        ("纠纷类别", 14.0),
        ("发生地（区划代码）", 16.0),
        ("地址", 24.0),
        ("当事人", 22.0),
        ("联系电话", 16.0),
        ("事由", 30.0),
        ("紧急程度", 9.0),
        ("办理期限", 17.0),
        ("状态", 9.0),
        ("办结时间", 17.0),
        ("办理结果", 11.0),
        ("是否按期", 9.0),
        ("回访满意度", 11.0),
        ("涉及金额（元）", 14.0),
        ("涉及人数", 9.0),
    ];
    let mut sheet = Sheet::new(
        "台账",
        columns
            .iter()
            .map(|(header, width)| Column::new(*header, *width))
            .collect(),
    );
    for (index, case) in cases.iter().enumerate() {
        let parties = &case.data.parties;
        let on_time = match (case.resolved_at, case.due_at) {
            (Some(resolved), Some(due)) => text(if resolved <= due { "是" } else { "否" }),
            (Some(_), None) => text("是"),
            _ => Cell::Empty,
        };
        sheet.rows.push(vec![
            Cell::Int(index as i64 + 1),
            text(case.number.to_string()),
            Cell::DateTime(local(case.reported_at)),
            text(channel_zh(case.data.channel)),
            text(kind_zh(case.data.kind)),
            text(names.category(&case.data.category)),
            text(case.data.region.as_str()),
            text(
                case.data
                    .address
                    .as_deref()
                    .map(masked_address)
                    .unwrap_or_default(),
            ),
            text(
                parties
                    .iter()
                    .map(|p| p.masked_name())
                    .collect::<Vec<_>>()
                    .join("、"),
            ),
            text(
                parties
                    .iter()
                    .filter_map(|p| p.phone.as_ref().map(|phone| phone.masked()))
                    .collect::<Vec<_>>()
                    .join("、"),
            ),
            text(case.data.title.clone()),
            text(urgency_zh(case.urgency)),
            case.due_at
                .map(|d| Cell::DateTime(local(d)))
                .unwrap_or(Cell::Empty),
            text(state_zh(case.state)),
            case.resolved_at
                .map(|d| Cell::DateTime(local(d)))
                .unwrap_or(Cell::Empty),
            text(outcome_zh(case.outcome)),
            on_time,
            text(satisfaction_zh(case.satisfaction)),
            case.data
                .amount_yuan
                .map(|a| Cell::Int(a as i64))
                .unwrap_or(Cell::Empty),
            case.data
                .people_involved
                .map(|p| Cell::Int(i64::from(p)))
                .unwrap_or(Cell::Empty),
        ]);
    }
    sheet
}

/// Where a dispute came from, as the people's-mediation statistics count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    /// 主动排查: found by grid workers' screening.
    Screening,
    /// 申请: brought by a party (window, hotline, online).
    Application,
    /// 委托移送: referred by a court, the police, petitions.
    Referral,
}

impl Source {
    fn of(channel: Channel) -> Self {
        match channel {
            Channel::GridReport => Source::Screening,
            Channel::Referral => Source::Referral,
            Channel::Window | Channel::Hotline | Channel::Online | Channel::Open311 => {
                Source::Application
            }
        }
    }
}

/// People involved from which a dispute counts as a possible mass incident (群体性事件).
pub const MASS_INCIDENT_PEOPLE: u32 = 5;

/// The figures of one row of the monthly report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Row {
    /// 受理: disputes reported in the period.
    total: u64,
    screening: u64,
    application: u64,
    referral: u64,
    /// 调解成功 / 调解不成功 (or withdrawn, or declined) / closed otherwise (办理完毕) /
    /// 办理中, as of the export: the outcomes the indicators count alike.
    settled: u64,
    not_settled: u64,
    handled: u64,
    open: u64,
    amount_yuan: u64,
    people: u64,
    /// 防止民转刑: settled disputes triaged red (a risk to life or person).
    criminal_prevented: u64,
    /// 防止群体性事件: settled disputes involving [`MASS_INCIDENT_PEOPLE`] or more people.
    mass_prevented: u64,
}

impl Row {
    fn add(&mut self, case: &Case) {
        self.total += 1;
        match Source::of(case.data.channel) {
            Source::Screening => self.screening += 1,
            Source::Application => self.application += 1,
            Source::Referral => self.referral += 1,
        }
        let settled = case.outcome == Some(Outcome::Settled);
        match case.outcome {
            Some(Outcome::Settled) => self.settled += 1,
            Some(Outcome::NotSettled | Outcome::Withdrawn) => self.not_settled += 1,
            Some(Outcome::Handled) => self.handled += 1,
            None if case.state == CaseState::Declined => self.not_settled += 1,
            None => self.open += 1,
        }
        self.amount_yuan += case.data.amount_yuan.unwrap_or(0);
        self.people += u64::from(case.data.people_involved.unwrap_or(0));
        self.criminal_prevented += u64::from(settled && case.urgency == Some(Urgency::Red));
        self.mass_prevented +=
            u64::from(settled && case.data.people_involved.unwrap_or(0) >= MASS_INCIDENT_PEOPLE);
    }

    fn success_rate(&self) -> Rate {
        Rate::new(self.settled, self.settled + self.not_settled + self.handled)
    }

    fn cells(&self) -> Vec<Cell> {
        let n = |v: u64| Cell::Int(v as i64);
        vec![
            n(self.total),
            n(self.screening),
            n(self.application),
            n(self.referral),
            n(self.settled),
            n(self.not_settled),
            n(self.handled),
            n(self.open),
            Cell::Percent(self.success_rate().percent().map(|p| p / 100.0)),
            n(self.amount_yuan),
            n(self.people),
            n(self.criminal_prevented),
            n(self.mass_prevented),
        ]
    }
}

const ROW_HEADERS: [(&str, f64); 13] = [
    ("受理合计", 10.0),
    ("主动排查", 10.0),
    ("申请", 8.0),
    ("委托移送", 10.0),
    ("调解成功", 10.0),
    ("调解不成功", 11.0),
    ("其他方式办结", 13.0),
    ("办理中", 8.0),
    ("调解成功率", 11.0),
    ("涉及金额（元）", 14.0),
    ("涉及人数", 9.0),
    ("防止民转刑", 11.0),
    ("防止群体性事件", 14.0),
];

/// Reads one figure of a row.
type Figure = fn(&Row) -> u64;

/// The monthly report: disputes reported in the period by type, with the same figures for
/// the month before and the year before.
struct MonthlyReport {
    period: Period,
    by_category: Vec<(String, Row)>,
    current: Row,
    month_before: Row,
    year_before: Row,
    current_cases: usize,
}

impl MonthlyReport {
    fn of(cases: &[Case], period: Period, names: &Names) -> Self {
        let month_before = period.shifted_months(1);
        let year_before = period.shifted_months(12);
        let within = |p: Period, case: &Case| {
            let day = china_day(case.reported_at);
            p.from <= day && day <= p.to
        };
        let mut report = MonthlyReport {
            period,
            by_category: Vec::new(),
            current: Row::default(),
            month_before: Row::default(),
            year_before: Row::default(),
            current_cases: 0,
        };
        let mut by_category: BTreeMap<String, Row> = BTreeMap::new();
        for case in cases.iter().filter(|c| c.data.kind == CaseKind::Dispute) {
            if within(period, case) {
                report.current.add(case);
                report.current_cases += 1;
                by_category
                    .entry(names.category(&case.data.category))
                    .or_default()
                    .add(case);
            }
            if within(month_before, case) {
                report.month_before.add(case);
            }
            if within(year_before, case) {
                report.year_before.add(case);
            }
        }
        report.by_category = by_category.into_iter().collect();
        report
    }

    fn type_columns() -> Vec<Column> {
        std::iter::once(Column::new("纠纷类型", 16.0))
            .chain(ROW_HEADERS.iter().map(|(h, w)| Column::new(*h, *w)))
            .collect()
    }

    fn type_rows(&self) -> Vec<Vec<Cell>> {
        let mut rows: Vec<Vec<Cell>> = self
            .by_category
            .iter()
            .map(|(name, row)| {
                std::iter::once(text(name.clone()))
                    .chain(row.cells())
                    .collect()
            })
            .collect();
        rows.push(
            std::iter::once(text("合计"))
                .chain(self.current.cells())
                .collect(),
        );
        rows
    }

    fn change_columns() -> Vec<Column> {
        [
            ("指标", 16.0),
            ("本期", 10.0),
            ("上月同期", 10.0),
            ("环比", 10.0),
            ("去年同期", 10.0),
            ("同比", 10.0),
        ]
        .iter()
        .map(|(h, w)| Column::new(*h, *w))
        .collect()
    }

    fn change_rows(&self) -> Vec<Vec<Cell>> {
        let change = |now: u64, before: u64| {
            Cell::Percent((before > 0).then(|| (now as f64 - before as f64) / before as f64))
        };
        let figures: [(&str, Figure); 8] = [
            ("受理纠纷", |r| r.total),
            ("主动排查", |r| r.screening),
            ("调解成功", |r| r.settled),
            ("调解不成功", |r| r.not_settled),
            ("涉及金额（元）", |r| r.amount_yuan),
            ("涉及人数", |r| r.people),
            ("防止民转刑", |r| r.criminal_prevented),
            ("防止群体性事件", |r| r.mass_prevented),
        ];
        figures
            .iter()
            .map(|(label, get)| {
                let (now, month, year) = (
                    get(&self.current),
                    get(&self.month_before),
                    get(&self.year_before),
                );
                vec![
                    text(*label),
                    Cell::Int(now as i64),
                    Cell::Int(month as i64),
                    change(now, month),
                    Cell::Int(year as i64),
                    change(now, year),
                ]
            })
            .collect()
    }

    fn note(&self) -> String {
        let month = self.period.shifted_months(1);
        let year = self.period.shifted_months(12);
        format!(
            "矛盾纠纷按登记日期统计；结果为导出时的状态。上月同期 {}～{}，去年同期 {}～{}。\
             调解成功率 = 调解成功 / 已办结（调解成功 + 调解不成功 + 其他方式办结）。\
             防止民转刑：研判为红色（紧急）且调解成功的纠纷；防止群体性事件：涉及 {} 人以上且调解成功的纠纷。",
            month.from, month.to, year.from, year.to, MASS_INCIDENT_PEOPLE
        )
    }

    fn sheets(&self) -> Vec<Sheet> {
        let mut types = Sheet::new("纠纷类型统计", Self::type_columns());
        types.rows = self.type_rows();
        let mut change = Sheet::new("环比同比", Self::change_columns());
        change.rows = self.change_rows();
        vec![types, change]
    }

    fn sections(&self) -> Vec<Section> {
        let headers = |columns: Vec<Column>| columns.into_iter().map(|c| c.header).collect();
        vec![
            Section {
                heading: "一、矛盾纠纷类型、来源及调解结果".into(),
                note: Some(self.note()),
                columns: headers(Self::type_columns()),
                rows: self.type_rows(),
            },
            Section {
                heading: "二、环比与同比".into(),
                note: None,
                columns: headers(Self::change_columns()),
                rows: self.change_rows(),
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hezhi_domain::{
        Actor, CaseId, CaseNumber, NewCase, Role, TrackingCode, UserId, evolve, reported_event,
    };

    fn case(n: u32, at: &str, channel: Channel, kind: CaseKind, people: u32) -> Case {
        let region = RegionCode::parse("370811002001").expect("village");
        let actor = Actor {
            user: UserId::from_uuid(uuid::Uuid::from_u128(1)),
            role: Role::IntakeClerk,
            region: Some(region.clone()),
            unit: None,
        };
        let data = NewCase {
            kind,
            category: CategoryCode::parse("neighbour").expect("category"),
            channel,
            region: region.clone(),
            address: None,
            position: None,
            title: "邻里纠纷".into(),
            description: "纠纷".into(),
            parties: vec![],
            amount_yuan: Some(1000),
            people_involved: Some(people),
            case_leader: None,
        };
        let at: chrono::DateTime<chrono::Utc> = at.parse().expect("time");
        let event = reported_event(
            CaseId::compose(1, &region, [n as u8; 10]),
            CaseNumber::new(RegionCode::parse("370811").expect("county"), 2026, n),
            TrackingCode::from_random(u64::from(n)),
            data,
            &actor,
            at,
        );
        evolve(None, &event).expect("a case")
    }

    fn resolved(mut case: Case, outcome: Outcome, urgency: Urgency) -> Case {
        case.outcome = Some(outcome);
        case.urgency = Some(urgency);
        case.resolved_at = Some(case.reported_at + chrono::Duration::days(1));
        case.state = CaseState::Resolved;
        case
    }

    #[test]
    fn the_monthly_report_counts_disputes_by_source_and_outcome_against_the_month_and_year_before()
    {
        let period = Period::parse("2026-03-01", "2026-03-31").expect("period");
        let cases = vec![
            // In March: screened and settled red; applied, not settled, 6 people (settled
            // neither: not a mass incident prevented); referred and handled; one still open.
            resolved(
                case(
                    1,
                    "2026-03-02T01:00:00Z",
                    Channel::GridReport,
                    CaseKind::Dispute,
                    2,
                ),
                Outcome::Settled,
                Urgency::Red,
            ),
            resolved(
                case(
                    2,
                    "2026-03-10T01:00:00Z",
                    Channel::Window,
                    CaseKind::Dispute,
                    6,
                ),
                Outcome::NotSettled,
                Urgency::Yellow,
            ),
            resolved(
                case(
                    3,
                    "2026-03-20T01:00:00Z",
                    Channel::Referral,
                    CaseKind::Dispute,
                    8,
                ),
                Outcome::Handled,
                Urgency::Yellow,
            ),
            case(
                4,
                "2026-03-31T15:00:00Z",
                Channel::Hotline,
                CaseKind::Dispute,
                1,
            ),
            // 1 April 00:30 China time: April, not March.
            case(
                5,
                "2026-03-31T16:30:00Z",
                Channel::Hotline,
                CaseKind::Dispute,
                1,
            ),
            // A hazard is no dispute.
            case(
                6,
                "2026-03-05T01:00:00Z",
                Channel::GridReport,
                CaseKind::Hazard,
                1,
            ),
            // February, and March a year before: settled, 5 people (a mass incident prevented).
            resolved(
                case(
                    7,
                    "2026-02-10T01:00:00Z",
                    Channel::Window,
                    CaseKind::Dispute,
                    5,
                ),
                Outcome::Settled,
                Urgency::Yellow,
            ),
            case(
                8,
                "2025-03-15T01:00:00Z",
                Channel::Window,
                CaseKind::Dispute,
                1,
            ),
        ];
        let names = Names {
            categories: BTreeMap::from([("neighbour".to_owned(), "邻里纠纷".to_owned())]),
        };
        let report = MonthlyReport::of(&cases, period, &names);
        let now = report.current;
        assert_eq!(report.current_cases, 4);
        assert_eq!(
            (now.total, now.screening, now.application, now.referral),
            (4, 1, 2, 1)
        );
        assert_eq!(
            (now.settled, now.not_settled, now.handled, now.open),
            (1, 1, 1, 1)
        );
        assert_eq!((now.amount_yuan, now.people), (4000, 17));
        assert_eq!((now.criminal_prevented, now.mass_prevented), (1, 0));
        assert_eq!(now.success_rate().show(2), "33.33%");
        assert_eq!(report.month_before.total, 1);
        assert_eq!(report.month_before.mass_prevented, 1);
        assert_eq!(report.year_before.total, 1);
        // The table: one category and the total; the changes: +300% on the month before.
        let rows = report.type_rows();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][0], Cell::Text("邻里纠纷".into()));
        assert_eq!(rows[1][1], Cell::Int(4));
        let changes = report.change_rows();
        assert_eq!(changes[0][3], Cell::Percent(Some(3.0)));
        assert_eq!(changes[0][5], Cell::Percent(Some(3.0)));
        // 主动排查 a month before was 0: no change can be given.
        assert_eq!(changes[1][3], Cell::Percent(None));
    }
}
