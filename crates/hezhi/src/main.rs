#![doc = include_str!("../README.md")]

mod audit;
mod backend;
mod backup;
mod bench;
mod bench_stats;
mod bootstrap;
mod config;
mod crash_test;
mod import;
mod keys;
mod race_test;
mod samples;
mod seed;
mod serve;
mod stats;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use config::Config;
use hezhi_app::{App, NewUser, SystemClock};
use hezhi_domain::{CategoryCode, RegionCode, Role, TokenId, UnitId, UnitKind};
use std::path::PathBuf;
use std::sync::Arc;

/// Hezhi 和治 — case handling for grassroots social-governance centres.
#[derive(Debug, Parser)]
#[command(name = "hezhi", version)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: CommandLine,
}

#[derive(Debug, Args)]
struct GlobalArgs {
    /// A TOML config file (see `hezhi config example`).
    #[arg(long, global = true, env = "HEZHI_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory for the embedded SQLite database [default: ./hezhi-data].
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Use PostgreSQL at this URL instead of SQLite.
    #[arg(long, global = true)]
    database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum CommandLine {
    /// Run the server (migrates the database first).
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Load the demo (regions, units, users, sample cases) if the database has no cases.
        #[arg(long)]
        demo: bool,
    },
    /// Create or update the database schema (and, in an empty database, the administrators).
    Migrate,
    /// Load reference data.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Grant and revoke role assignments.
    #[command(subcommand)]
    Role(RoleCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage units.
    #[command(subcommand)]
    Unit(UnitCommand),
    /// Manage grids (网格), the children of villages.
    #[command(subcommand)]
    Grid(GridCommand),
    /// The audit log: verify its hash chains, search it.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Configuration help.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Load demonstration data.
    #[command(subcommand)]
    Seed(SeedCommand),
    /// The keys that encrypt personal data: generate, list, rotate, re-wrap.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Measure durable write throughput on SQLite and PostgreSQL.
    Bench(bench::BenchArgs),
    /// Measure region × period questions at the scale of a province (10 million cases by
    /// default): from the indicator rollups and by a full scan, on SQLite and PostgreSQL.
    BenchStats(bench_stats::BenchStatsArgs),
    /// The indicators of a region and period (`--region CODE --from DATE --to DATE`), or
    /// `rebuild` to recompute them from the event log.
    Stats(stats::StatsArgs),
    /// Export the dispute ledger or the monthly report (personal data masked; audited).
    Export(stats::ExportArgs),
    /// Kill the server with SIGKILL at random moments under write load, and check that
    /// every acknowledged write survived (SQLite and PostgreSQL).
    CrashTest(crash_test::CrashTestArgs),
    /// Many clients send conflicting commands to the same cases; check that no update is
    /// lost and every refusal is a 412 that wrote nothing (SQLite and PostgreSQL).
    RaceTest(race_test::RaceTestArgs),
    /// Back up the database while the server runs: a consistent copy and a manifest of its
    /// files and counts (the master key is never included).
    Backup(backup::BackupArgs),
    /// Restore a backup into an empty data directory (or an empty PostgreSQL database),
    /// checking its files, its audit chains and its counts.
    Restore(backup::RestoreArgs),
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Division codes from DIR (provinces.csv … villages.csv.gz), e.g. data/divisions.
    Divisions { dir: PathBuf },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// List users and their role assignments.
    List,
    /// Create a user and print an API token (shown once).
    Add {
        name: String,
        /// grid_worker, intake_clerk, dispatcher, unit_handler, mediator, case_leader,
        /// supervisor, leader, system_admin, security_admin, auditor, resident
        #[arg(long)]
        role: String,
        /// The region the role covers (region-bound roles).
        #[arg(long)]
        region: Option<String>,
        /// The unit the role acts for (unit_handler, mediator).
        #[arg(long)]
        unit: Option<String>,
    },
    /// Set a staff member's password, read from the first line of standard input (for
    /// scripts: `printf '%s\n' "$PASSWORD" | hezhi user set-password NAME`). Ends the user's
    /// sessions.
    SetPassword {
        name: String,
        /// The user must change it at the next sign-in.
        #[arg(long)]
        temporary: bool,
    },
    /// Remove a staff member's TOTP authenticator (lost phone): they enrol a new one at the
    /// next sign-in. Ends the user's sessions.
    ResetTotp { name: String },
    /// Set the mobile number a staff member's deadline reminders are sent to by SMS (stored
    /// encrypted); without a number, remove it.
    SetPhone { name: String, phone: Option<String> },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// A user's API tokens: id, created, revoked.
    List {
        #[arg(long)]
        user: String,
    },
    /// Revoke a token by id: it stops working at once on this database's servers, within
    /// five seconds on those that checked it just before.
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
enum RoleCommand {
    /// Grant USER another role, bound to a region or a unit; prints the assignment id.
    Grant {
        user: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        unit: Option<String>,
        /// Also issue an API token acting under the new assignment (printed once).
        #[arg(long)]
        token: bool,
    },
    /// Revoke one of USER's role assignments; tokens bound to it stop working.
    Revoke { user: String, assignment: String },
    /// List USER's live role assignments.
    List { user: String },
}

#[derive(Debug, Subcommand)]
enum UnitCommand {
    /// Create a unit in a region and print its id.
    Add {
        name: String,
        /// department, governance_centre, mediation_committee, court, police_station,
        /// justice_office, village_committee, other
        #[arg(long)]
        kind: String,
        #[arg(long)]
        region: String,
        /// Category codes the unit handles, comma-separated (default: all).
        #[arg(long, value_delimiter = ',')]
        categories: Vec<String>,
    },
    /// List the units of a region and below.
    List {
        #[arg(long)]
        region: String,
    },
}

#[derive(Debug, Subcommand)]
enum GridCommand {
    /// Add grid NUMBER (1–999) under a village; its code is the village code + 3 digits.
    Add {
        #[arg(long)]
        village: String,
        #[arg(long)]
        number: u16,
        #[arg(long)]
        name: String,
    },
    /// List a village's grids, and whether each has a shape.
    List {
        #[arg(long)]
        village: String,
    },
    /// Create or rename a village's grids and store their shapes, from a GeoJSON
    /// FeatureCollection whose features carry `number` (1–999) and `name` properties. All or
    /// nothing; importing a file again changes nothing.
    Import {
        /// The GeoJSON file, e.g. data/grids/370811002001.geojson.
        file: PathBuf,
        #[arg(long)]
        village: String,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check every chain for changed, removed or inserted entries; exits non-zero naming
    /// the entry when one was tampered with.
    Verify,
    /// Entries newest first, one line each; every filter is optional. The search is itself
    /// recorded in the log.
    Search {
        /// The acting user: a user name or id.
        #[arg(long)]
        user: Option<String>,
        /// A case id.
        #[arg(long)]
        case: Option<String>,
        /// An action, e.g. case.accepted, user_created, audit_searched.
        #[arg(long)]
        action: Option<String>,
        /// From this time on (RFC 3339, e.g. 2026-03-02T09:00:00+08:00).
        #[arg(long)]
        from: Option<String>,
        /// Before this time (RFC 3339).
        #[arg(long)]
        to: Option<String>,
        /// At most this many entries (1–1000) [default: 100].
        #[arg(long)]
        limit: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print a commented example config file.
    Example,
}

#[derive(Debug, Subcommand)]
enum SeedCommand {
    /// The demo: the sample counties, units for each town, users for each role, and the
    /// sample cases driven through realistic states.
    Demo,
}

fn config(global: &GlobalArgs) -> anyhow::Result<Config> {
    let mut config = Config::load(global.config.as_deref())?;
    if let Some(dir) = &global.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(url) = &global.database_url {
        config.database_url = Some(url.clone());
    }
    config.check()?;
    Ok(config)
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let CommandLine::Config(ConfigCommand::Example) = cli.command {
        print!("{}", config::EXAMPLE);
        return Ok(());
    }
    let mut config = config(&cli.global)?;
    let quiet_logs = matches!(
        cli.command,
        CommandLine::Bench(_)
            | CommandLine::BenchStats(_)
            | CommandLine::CrashTest(_)
            | CommandLine::RaceTest(_)
            | CommandLine::Seed(_)
            | CommandLine::Stats(_)
            | CommandLine::Export(_)
    );
    init_logging(if quiet_logs { "warn" } else { &config.log });
    match cli.command {
        CommandLine::Config(ConfigCommand::Example) => Ok(()),
        CommandLine::Serve { listen, demo } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            serve::run(&config, demo).await
        }
        CommandLine::Migrate => {
            let store = backend::open(&config).await?;
            bootstrap::administrators(&store, &config, None).await?;
            let (cases, events) = store.count_cases_and_events().await?;
            println!(
                "{} is up to date ({cases} cases, {events} events)",
                backend::describe(&config)
            );
            Ok(())
        }
        CommandLine::Import(ImportCommand::Divisions { dir }) => {
            let store = backend::open(&config).await?;
            import::divisions(store.as_ref(), &dir).await
        }
        CommandLine::User(UserCommand::Add {
            name,
            role,
            region,
            unit,
        }) => {
            let app = App::new(backend::open(&config).await?, Arc::new(SystemClock));
            let role = Role::parse(&role).with_context(|| format!("unknown role `{role}`"))?;
            let new = NewUser {
                name,
                role,
                region: region.as_deref().map(RegionCode::parse).transpose()?,
                unit: unit
                    .as_deref()
                    .map(|u| UnitId::parse(u).with_context(|| format!("`{u}` is not a unit id")))
                    .transpose()?,
            };
            let result = async {
                let (user, token) = app.add_user(new).await?;
                let (_, tokens) = app.tokens_of(&user.name).await?;
                anyhow::Ok((user, token, tokens.last().map(|t| t.id)))
            }
            .await;
            app.shutdown().await;
            let (user, token, token_id) = result?;
            println!(
                "created user {} ({}) with role {}",
                user.name,
                user.id,
                role.as_str()
            );
            if let Some(id) = token_id {
                println!("API token id: {id}   (revoke with `hezhi token revoke {id}`)");
            }
            println!("API token (shown once; keep it secret):\n{token}");
            Ok(())
        }
        CommandLine::User(UserCommand::List) => {
            let store = backend::open(&config).await?;
            for user in store.users().await? {
                let roles: Vec<String> = user.assignments.iter().map(describe_assignment).collect();
                println!("{}\t{}\t{}", user.id, user.name, roles.join(", "));
            }
            Ok(())
        }
        CommandLine::Role(command) => roles(&config, command).await,
        CommandLine::User(UserCommand::SetPassword { name, temporary }) => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']);
            let app = App::new(backend::open(&config).await?, Arc::new(SystemClock));
            let result = app.set_password(&name, password, temporary).await;
            app.shutdown().await;
            let user = result?;
            println!(
                "password of {} set{}",
                user.name,
                if temporary {
                    "; it must be changed at the next sign-in"
                } else {
                    ""
                }
            );
            Ok(())
        }
        CommandLine::User(UserCommand::SetPhone { name, phone }) => {
            let app = App::new(backend::open(&config).await?, Arc::new(SystemClock));
            let result = async {
                let user = app
                    .store()
                    .user_by_name(&name)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("no user named {name}"))?;
                app.operator_set_staff_phone(user.id, phone.as_deref())
                    .await?;
                match &phone {
                    Some(_) => println!("reminders for {name} go to the phone given"),
                    None => println!("{name} has no phone for reminders now"),
                }
                anyhow::Ok(())
            }
            .await;
            app.shutdown().await;
            result
        }
        CommandLine::User(UserCommand::ResetTotp { name }) => {
            let app = App::new(backend::open(&config).await?, Arc::new(SystemClock));
            let result = app.reset_totp(&name).await;
            app.shutdown().await;
            let user = result?;
            println!(
                "TOTP of {} removed; a new authenticator is enrolled at the next sign-in",
                user.name
            );
            Ok(())
        }
        CommandLine::Token(TokenCommand::List { user }) => {
            let app = App::new(backend::open(&config).await?, Arc::new(SystemClock));
            let result = app.tokens_of(&user).await;
            app.shutdown().await;
            let (_, tokens) = result?;
            for token in tokens {
                let revoked = token.revoked_at.map_or_else(
                    || "live".to_owned(),
                    |at| format!("revoked {}", at.to_rfc3339()),
                );
                println!("{}\t{}\t{revoked}", token.id, token.created_at.to_rfc3339());
            }
            Ok(())
        }
        CommandLine::Token(TokenCommand::Revoke { id }) => {
            let token = TokenId::parse(&id).with_context(|| format!("`{id}` is not a token id"))?;
            let app = App::new(backend::open(&config).await?, Arc::new(SystemClock));
            let result = app.revoke_token(None, token).await;
            app.shutdown().await;
            result?;
            println!("token {token} revoked");
            Ok(())
        }
        CommandLine::Unit(UnitCommand::Add {
            name,
            kind,
            region,
            categories,
        }) => {
            let app = App::new(backend::open(&config).await?, Arc::new(SystemClock));
            let Some(kind) = UnitKind::parse(&kind) else {
                bail!("unknown unit kind `{kind}`")
            };
            let categories = categories
                .iter()
                .map(|c| CategoryCode::parse(c))
                .collect::<Result<Vec<_>, _>>()?;
            let result = app
                .add_unit(None, &name, kind, RegionCode::parse(&region)?, categories)
                .await;
            app.shutdown().await;
            let unit = result?;
            println!("{}\t{}", unit.id, unit.name);
            Ok(())
        }
        CommandLine::Unit(UnitCommand::List { region }) => {
            let app = App::new(backend::open(&config).await?, Arc::new(SystemClock));
            let result = app.units_in_region(&RegionCode::parse(&region)?).await;
            app.shutdown().await;
            for unit in result? {
                println!(
                    "{}\t{}\t{}\t{}",
                    unit.id,
                    unit.region,
                    unit.kind.as_str(),
                    unit.name
                );
            }
            Ok(())
        }
        CommandLine::Grid(GridCommand::Add {
            village,
            number,
            name,
        }) => {
            let app = App::new(backend::open(&config).await?, Arc::new(SystemClock));
            let result = app
                .add_grid(None, &RegionCode::parse(&village)?, number, &name)
                .await;
            app.shutdown().await;
            let grid = result?;
            println!("{}\t{}", grid.code, grid.name);
            Ok(())
        }
        CommandLine::Audit(AuditCommand::Verify) => {
            let store = backend::open(&config).await?;
            audit::verify(store.as_ref(), &config).await
        }
        CommandLine::Audit(AuditCommand::Search {
            user,
            case,
            action,
            from,
            to,
            limit,
        }) => {
            let app = App::new(backend::open(&config).await?, Arc::new(SystemClock));
            let query = hezhi_app::AuditQuery {
                user,
                case,
                action,
                from,
                to,
                limit,
            };
            let result = audit::search(&app, &query).await;
            app.shutdown().await;
            result
        }
        CommandLine::Grid(GridCommand::List { village }) => {
            let store = backend::open(&config).await?;
            let village = RegionCode::parse(&village)?;
            let shaped: Vec<RegionCode> = store
                .grid_shapes_in_village(&village)
                .await?
                .into_iter()
                .map(|shape| shape.grid)
                .collect();
            for grid in store.region_children(&village).await? {
                let shape = if shaped.contains(&grid.code) {
                    "shape"
                } else {
                    "-"
                };
                println!("{}\t{}\t{shape}", grid.code, grid.name);
            }
            Ok(())
        }
        CommandLine::Grid(GridCommand::Import { file, village }) => {
            let village = RegionCode::parse(&village)?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let collection: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let app = App::new(backend::open(&config).await?, Arc::new(SystemClock));
            let result = app.import_grids(None, &village, &collection).await;
            app.shutdown().await;
            let grids =
                result.with_context(|| format!("{}: nothing was imported", file.display()))?;
            for grid in &grids {
                println!("{}\t{}", grid.code, grid.name);
            }
            eprintln!(
                "{} grids and their shapes stored under {village}",
                grids.len()
            );
            Ok(())
        }
        CommandLine::Seed(SeedCommand::Demo) => {
            let store = backend::open(&config).await?;
            let summary = seed::demo(store, &config).await?;
            print!("{summary}");
            Ok(())
        }
        CommandLine::Keys(command) => keys::run(&config, command).await,
        CommandLine::Bench(args) => bench::run(args).await,
        CommandLine::BenchStats(args) => bench_stats::run(args).await,
        CommandLine::Stats(args) => {
            let app = App::new(backend::open(&config).await?, Arc::new(SystemClock));
            let result = stats::stats(&app, args).await;
            app.shutdown().await;
            result
        }
        CommandLine::Backup(args) => backup::backup(&config, &args).await,
        CommandLine::CrashTest(args) => crash_test::run(args).await,
        CommandLine::RaceTest(args) => race_test::run(args).await,
        CommandLine::Restore(args) => backup::restore(&config, &args).await,
        CommandLine::Export(args) => {
            let app = App::new(backend::open(&config).await?, Arc::new(SystemClock));
            let result = stats::export(&app, args).await;
            app.shutdown().await;
            result
        }
    }
}

fn describe_assignment(assignment: &hezhi_store::RoleAssignment) -> String {
    let scope = assignment
        .region
        .as_ref()
        .map(ToString::to_string)
        .or_else(|| assignment.unit.map(|u| format!("unit {u}")))
        .unwrap_or_else(|| "own cases".into());
    format!("{} [{}] {}", assignment.role.as_str(), scope, assignment.id)
}

async fn roles(config: &Config, command: RoleCommand) -> anyhow::Result<()> {
    let store = backend::open(config).await?;
    let user_named = |name: String| {
        let store = std::sync::Arc::clone(&store);
        async move {
            store
                .user_by_name(&name)
                .await?
                .with_context(|| format!("no user named `{name}`"))
        }
    };
    match command {
        RoleCommand::List { user } => {
            for assignment in &user_named(user).await?.assignments {
                println!("{}", describe_assignment(assignment));
            }
            Ok(())
        }
        RoleCommand::Grant {
            user,
            role,
            region,
            unit,
            token,
        } => {
            let user = user_named(user).await?;
            let role = Role::parse(&role).with_context(|| format!("unknown role `{role}`"))?;
            let region = region.as_deref().map(RegionCode::parse).transpose()?;
            let unit = unit
                .as_deref()
                .map(|u| UnitId::parse(u).with_context(|| format!("`{u}` is not a unit id")))
                .transpose()?;
            let app = App::new(store, Arc::new(SystemClock));
            let result = async {
                let assignment = app.grant_role(None, user.id, role, region, unit).await?;
                let token = if token {
                    Some(app.issue_token(&assignment).await?)
                } else {
                    None
                };
                Ok::<_, hezhi_app::AppError>((assignment, token))
            }
            .await;
            app.shutdown().await;
            let (assignment, token) = result?;
            println!("granted {}", describe_assignment(&assignment));
            if let Some(token) = token {
                println!("API token (shown once; keep it secret):\n{token}");
            }
            Ok(())
        }
        RoleCommand::Revoke { user, assignment } => {
            let user = user_named(user).await?;
            let assignment = hezhi_domain::AssignmentId::parse(&assignment)
                .with_context(|| format!("`{assignment}` is not an assignment id"))?;
            let app = App::new(store, Arc::new(SystemClock));
            let result = app.revoke_role(None, user.id, assignment).await;
            app.shutdown().await;
            result?;
            println!("revoked {assignment}");
            Ok(())
        }
    }
}
