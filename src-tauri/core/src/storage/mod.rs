//! The local database: one SQLite file in the data folder, WAL mode, forward-only migrations.
//!
//! Migrations are applied in order with `rusqlite_migration` (the schema version is SQLite's
//! `user_version`). They are never edited once released: a change is a new migration appended to
//! [`MIGRATIONS`], its SQL a new file in `migrations/` (read with `include_str!`, byte for byte).
//! A database written by a newer Relay is refused rather than downgraded.

/// Stores an enum as its text (strum's `AsRefStr` and `FromStr`, the same snake_case words its
/// serde form uses), so rows written before it was an enum read the same.
#[macro_export]
macro_rules! sql_text {
    ($($t:ty),* $(,)?) => {$(
        impl rusqlite::types::ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::from(AsRef::<str>::as_ref(self)))
            }
        }
        impl rusqlite::types::FromSql for $t {
            fn column_result(
                v: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                v.as_str()?
                    .parse()
                    .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
            }
        }
    )*};
}

use crate::error::{AppError, AppResult, ErrorCode};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};
use rusqlite_migration::{Migrations, M};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

mod writer;
pub use writer::Writer;

/// How long SQLite itself waits for another writer before a statement fails as busy.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a write keeps trying (busy timeout after busy timeout, with a pause between) before
/// it gives up: the app and the CLI on one data folder, or a large audience check in another
/// window, hold the write lock for seconds, not minutes.
pub const WRITE_PATIENCE: Duration = Duration::from_secs(60);

/// Failures of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("could not open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the database {path} has schema version {found}, newer than this Relay understands ({known})")]
    TooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },
    #[error("could not migrate the database {path}: {source}")]
    Migrate {
        path: PathBuf,
        source: rusqlite_migration::Error,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        StorageError::Sql(e).into()
    }
}

impl From<StorageError> for AppError {
    fn from(e: StorageError) -> Self {
        match &e {
            StorageError::Open { path, source } => AppError::new(
                ErrorCode::Storage,
                crate::text!("storage.open", path = path.display(), detail = source),
            )
            .with_path(path),
            StorageError::TooNew { path, found, known } => AppError::new(
                ErrorCode::Storage,
                crate::text!("storage.too_new", found = found, known = known),
            )
            .with_path(path),
            StorageError::Migrate { path, source } => AppError::new(
                ErrorCode::Storage,
                crate::text!("storage.migrate", path = path.display(), detail = source),
            )
            .with_path(path),
            StorageError::Sql(source) => AppError::new(
                ErrorCode::Storage,
                crate::text!("storage.sql", detail = source),
            ),
        }
    }
}

/// The ordered, append-only list of migrations. Index + 1 is the schema version it produces.
const MIGRATION_SQL: &[&str] = &[
    // 1: facts about this data folder (its workspace id, when it was created).
    include_str!("migrations/0001_app_meta.sql"),
    // 2: local templates (drafts), the Template as JSON.
    include_str!("migrations/0002_templates.sql"),
    // 3: what Relay knows of the app's messaging integrations, the WhatsApp templates last
    // synced from each, and the submissions of local templates (with a fingerprint of what was
    // submitted, to tell when a template was edited since).
    include_str!("migrations/0003_integrations_and_whatsapp_templates.sql"),
    // 4: audiences (a fetched Zendesk search, one row per user with its exclusion reason), the
    // local suppression list, and the blackout ledger (who received which message when; the
    // message as a 64-bit fingerprint, indexed by user and by phone).
    include_str!("migrations/0004_audiences_suppression_blackout.sql"),
    // 5: campaigns and their per-recipient ledger (payloads frozen when created).
    include_str!("migrations/0005_campaigns.sql"),
    // 6: the SMS segments an audience's messages add up to, counted when it is checked.
    include_str!("migrations/0006_audience_segments.sql"),
    // 7: only the queue is indexed by state (a recipient leaves it once): each send then
    // updates one index entry instead of four; reports filter the campaign's rows by key.
    include_str!("migrations/0007_pending_queue_index.sql"),
    // 8: nobody twice. The ledger records `unknown` outcomes too (they may have been delivered);
    // a campaign keeps the blackout days it was created with and the host of its runner; a
    // recipient, when its blackout was overridden by hand (ms; 0: it was not), as a member's
    // `override` now is too. The rows in flight are indexed by number and by user: a claim sees at
    // once whether another campaign is sending the same message to them (only a few hundred rows
    // are ever `sending`). The `unknown` outcomes of earlier versions get their blackout entry;
    // their campaigns, the default blackout days (the setting they were made with is not known).
    include_str!("migrations/0008_nobody_twice.sql"),
    // 9: nobody lost. An audience keeps Zendesk's count of its search (to say when the export
    // returned fewer) and how many results Zendesk returned that could not be read as users.
    include_str!("migrations/0009_nobody_lost.sql"),
    // 10: one team, many desktops. What this desktop still has to push to the team's store (one
    // row per record, the latest value), where each pull stopped, and which desktop a ledger
    // entry came from (NULL: this one). The ledger so far is queued, so a team sees it.
    include_str!("migrations/0010_team_outbox.sql"),
    // 11: the suppression list is the team's too: the numbers so far queued for its store.
    include_str!("migrations/0011_team_suppressed.sql"),
    // 12: the right moment. Each recipient's time zone (and where it came from) as frozen, and
    // the earliest it may be sent (ms; 0: at once), set when its quiet hours defer it; the queue
    // is read in that order. A campaign's quiet hours, when it waits (`next_at`), its schedule
    // (`scheduled_at`), what it was made of to be frozen again at its time (`spec`), and its
    // counts when it was scheduled.
    include_str!("migrations/0012_the_right_moment.sql"),
    // 13: the team's campaigns and policy. Summaries of the other desktops' campaigns as pulled
    // (their record's fields), what the store last confirmed of this desktop's, and the team's
    // policy as last read (with Zendesk's time of it).
    include_str!("migrations/0013_team_campaigns_and_policy.sql"),
    // 14: the right number. Each member's number with its kind, why it is not a number, and the
    // extension dropped from it; the rules an audience's numbers were read under (1: before
    // letters were refused; read again at its next check) and whether it includes fixed lines,
    // kept by the campaigns made from it; a suppressed number's input as typed and the default
    // country it was read in (NULL: not kept — made before letters were refused, or by another
    // desktop) and the rules it was read under; the rules a campaign's numbers were frozen under
    // (what it may still send is read again before it sends).
    include_str!("migrations/0014_the_right_number.sql"),
    // 15: Relay hears "no". Why a number is on the list (`manual`, `opted_out` by a reply) and
    // the reply that put it there; each member's tags (kept from now: an audience fetched before
    // has none, `tags_kept` 0), an admin's leave to send without consent (when, and why); the
    // channel kind an audience is checked for; the replies read from Zendesk (one row per
    // end-user comment, with Relay's verdict), the tickets read (at which update), and where the
    // reading stands.
    include_str!("migrations/0015_optouts.sql"),
    // 16: the team's store at Zendesk's scale. The ledger says which of its entries the team has
    // (`shared`: NULL still to push — read in the order of a partial index, never by sorting the
    // whole queue —, 1 in a batch, 2 in the per-entry records of an earlier Relay) and which batch
    // one is in flight in (written, not yet confirmed: `in_flight`, the batches so posted in
    // `team_in_flight`), and holds the other desktops' entries by the number's keyed hash
    // (`number_key`; their user id and number are not in the store: 0 and ''); the suppression
    // list's numbers likewise. The entries queued one record each are queued again as the
    // ledger's own unshared rows, to go in batches.
    include_str!("migrations/0016_team_batches.sql"),
    // 17: WhatsApp's limits. What a waiting campaign waits for (`waits_for`: its recipients'
    // quiet hours, or the messaging limit's budget); the other desktops' entries by time, to
    // count the numbers the portfolio reached in the last 24 hours.
    include_str!("migrations/0017_whatsapp_limits.sql"),
    // 18: each recipient in their own language. A message is now its template's name, channel
    // kind and static values, whatever the translation (`message::mapping::message_fingerprint`);
    // the fingerprint an entry was recorded under before (with the language) is a hash, so it is
    // rewritten when the message is first used again — the translations' earlier fingerprints
    // known then — and kept as an alias, so the entries of desktops of an earlier version pulled
    // later are the message's too. Each recipient's language as frozen; an audience's recipients
    // counted per language when it is checked.
    include_str!("migrations/0018_translations.sql"),
];

static MIGRATIONS: LazyLock<Migrations<'static>> =
    LazyLock::new(|| Migrations::new(MIGRATION_SQL.iter().map(|sql| M::up(sql)).collect()));

/// The schema version of an up-to-date database.
pub fn latest_schema_version() -> u32 {
    MIGRATION_SQL.len() as u32
}

/// An open, migrated database.
pub struct Database {
    conn: Connection,
    path: PathBuf,
    /// The workspace's number key, as this connection's SQL and the database thread's read it.
    number_keys: crate::number_key::NumberKeys,
}

impl Database {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        let mut conn = Self::open_connection(path)?;
        let found = user_version(&conn)?;
        let known = latest_schema_version();
        if found > known {
            return Err(StorageError::TooNew {
                path: path.to_path_buf(),
                found,
                known,
            });
        }
        MIGRATIONS
            .to_latest(&mut conn)
            .map_err(|source| StorageError::Migrate {
                path: path.to_path_buf(),
                source,
            })?;
        let number_keys = crate::number_key::NumberKeys::default();
        Self::register_keys(&conn, &number_keys, path)?;
        Ok(Database {
            conn,
            path: path.to_path_buf(),
            number_keys,
        })
    }

    /// Opens a connection to the database at `path`, configured (WAL, durable commits, busy
    /// timeout) but not migrated: [`Database::open`] migrates; the database thread's connection
    /// comes after it.
    pub fn open_connection(path: &Path) -> Result<Connection, StorageError> {
        let conn = Connection::open(path).map_err(|source| StorageError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Self::configure(&conn).map_err(|source| StorageError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(conn)
    }

    /// Makes `relay_number_key()` reach `keys` from `conn`'s SQL.
    pub(crate) fn register_keys(
        conn: &Connection,
        keys: &crate::number_key::NumberKeys,
        path: &Path,
    ) -> Result<(), StorageError> {
        keys.register(conn).map_err(|source| StorageError::Open {
            path: path.to_path_buf(),
            source,
        })
    }

    fn configure(conn: &Connection) -> rusqlite::Result<()> {
        // WAL: readers never block the writer, and a crash mid-write leaves the last commit intact.
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "SQLite refused WAL mode");
        }
        configure_durable(conn)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 32 MiB of page cache (the default is 2): audiences of a million users are written and
        // indexed without rereading their pages from the OS at every insert.
        conn.pragma_update(None, "cache_size", -32768)?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The number key every connection of this database hashes numbers with.
    pub fn number_keys(&self) -> &crate::number_key::NumberKeys {
        &self.number_keys
    }

    /// Runs `f` in a write transaction (see [`write`]). When another program holds the database
    /// (it may then wait for up to a minute), the waiting happens off the async runtime's
    /// workers; the lock free, it is taken at once, in place.
    pub fn write<R>(&self, f: impl FnOnce(&Transaction) -> AppResult<R>) -> AppResult<R> {
        match begin_now(&self.conn) {
            Ok(Some(tx)) => {
                let out = f(&tx)?;
                tx.commit().map_err(StorageError::Sql)?;
                Ok(out)
            }
            Ok(None) => blocking(|| write(&self.conn, WRITE_PATIENCE, f)),
            Err(e) => Err(e),
        }
    }

    /// The schema version (`user_version`) of this database.
    pub fn schema_version(&self) -> Result<u32, StorageError> {
        user_version(&self.conn)
    }

    /// The journal mode in force (`wal` once opened).
    pub fn journal_mode(&self) -> Result<String, StorageError> {
        Ok(self
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))?)
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>, StorageError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM app_meta WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// A random id naming this data folder's workspace; keychain entries are filed under it, so
    /// two data folders never share secrets. Created on first use.
    pub fn workspace_id(&self) -> Result<String, StorageError> {
        if let Some(id) = self.meta("workspace_id")? {
            return Ok(id);
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        // INSERT OR IGNORE + re-read: two processes opening a new folder agree on one id.
        self.conn.execute(
            "INSERT OR IGNORE INTO app_meta (key, value) VALUES ('workspace_id', ?1)",
            [&id],
        )?;
        Ok(self.meta("workspace_id")?.unwrap_or(id))
    }
}

/// What makes a commit survive a power loss or an OS crash: with `synchronous = NORMAL` a WAL
/// commit can roll back after one, and a recipient committed `sending` (its request already
/// accepted) would come back `pending` and be sent again. FULL syncs the WAL at every commit;
/// macOS's fsync does not reach the disk's own cache, F_FULLFSYNC does (both pragmas are no-ops
/// elsewhere). The busy timeout makes a second writer wait instead of failing at once.
fn configure_durable(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "fullfsync", "ON")?;
    conn.pragma_update(None, "checkpoint_fullfsync", "ON")?;
    conn.busy_timeout(BUSY_TIMEOUT)
}

/// Runs database work that may take seconds (an audience check of a million members, a CSV
/// export) without holding up the async runtime: on a multi-threaded runtime the worker thread
/// hands its other tasks (a send loop, responses being read) to the others first.
pub fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Whether SQLite failed because another connection holds the lock it needs.
pub fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Runs `f` in a write transaction taken at once (`BEGIN IMMEDIATE`), committed when `f` returns
/// Ok and rolled back otherwise. Taking the write lock first means a transaction that reads then
/// writes never meets another writer halfway (a deferred one then fails at once, whatever the busy
/// timeout); while another connection holds the lock, SQLite waits up to [`BUSY_TIMEOUT`], then
/// this tries again after a pause, until `patience` is spent.
pub fn write<R>(
    conn: &Connection,
    patience: Duration,
    f: impl FnOnce(&Transaction) -> AppResult<R>,
) -> AppResult<R> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(50);
    let tx = loop {
        match Transaction::new_unchecked(conn, TransactionBehavior::Immediate) {
            Ok(tx) => break tx,
            Err(e) if is_busy(&e) && start.elapsed() < patience => {
                tracing::warn!(
                    waited_ms = start.elapsed().as_millis() as u64,
                    "the database is busy (another Relay is writing): waiting"
                );
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Err(e) if is_busy(&e) => {
                return Err(AppError::new(
                    ErrorCode::Storage,
                    crate::text!("storage.locked", secs = start.elapsed().as_secs()),
                ))
            }
            Err(e) => return Err(StorageError::Sql(e).into()),
        }
    };
    let out = f(&tx)?;
    tx.commit().map_err(StorageError::Sql)?;
    Ok(out)
}

/// A write transaction taken at once, or None when another connection holds the lock (without
/// waiting for it).
fn begin_now(conn: &Connection) -> AppResult<Option<Transaction<'_>>> {
    conn.busy_timeout(Duration::ZERO)
        .map_err(StorageError::Sql)?;
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate);
    conn.busy_timeout(BUSY_TIMEOUT).map_err(StorageError::Sql)?;
    match tx {
        Ok(tx) => Ok(Some(tx)),
        Err(e) if is_busy(&e) => Ok(None),
        Err(e) => Err(StorageError::Sql(e).into()),
    }
}

fn user_version(conn: &Connection) -> Result<u32, StorageError> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid_and_match_the_declared_latest_version() {
        MIGRATIONS
            .validate()
            .expect("every migration must apply on an empty database");
        let tmp = tempfile::tempdir().unwrap();
        let db = Database::open(&tmp.path().join("a.sqlite3")).unwrap();
        assert_eq!(db.schema_version().unwrap(), latest_schema_version());
    }

    #[test]
    fn an_unknown_outcome_from_before_the_upgrade_is_blacked_out() {
        // A data folder of schema 7: the engine then wrote `unknown` without a blackout entry.
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.sqlite3");
        {
            let mut conn = Connection::open(&path).unwrap();
            MIGRATIONS.to_version(&mut conn, 7).unwrap();
            conn.execute_batch(
                "INSERT INTO campaigns (id, template_id, template_name, language, integration_id, channel,
                     fingerprint, query, rate, auto_pause_after, status, created_at)
                 VALUES ('c', 't', 'n', 'en', 'i', 'whatsapp', 42, 'q', 8, 10, 'completed', 1000);
                 INSERT INTO campaign_recipients (campaign_id, seq, user_id, name, phone, state, updated_at)
                 VALUES ('c', 0, 7, 'x', '+33600000007', 'unknown', 2000),
                        ('c', 1, 8, 'y', '+33600000008', 'failed', 2000);",
            )
            .unwrap();
        }
        let db = Database::open(&path).unwrap();
        let entries: Vec<(i64, String, i64, String)> = db
            .connection()
            .prepare("SELECT user_id, phone, sent_at, state FROM blackout")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            entries,
            vec![(7, "+33600000007".to_string(), 2000, "unknown".to_string())],
            "the one that may have been delivered, at the time it was sent; not the failed one"
        );
    }

    #[test]
    fn the_entries_queued_one_record_each_are_queued_again_as_the_ledgers_own() {
        // A data folder of schema 15: three entries, one pulled from another desktop, one
        // pushed already, one still queued as a record of its own; a suppressed number queued.
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.sqlite3");
        {
            let mut conn = Connection::open(&path).unwrap();
            MIGRATIONS.to_version(&mut conn, 15).unwrap();
            conn.execute_batch(
                "INSERT INTO blackout (user_id, phone, fingerprint, sent_at, campaign_id, state, origin)
                 VALUES (1, '+33600000001', 42, 1000, 'c', 'sent', NULL),
                        (2, '+33600000002', 42, 1000, 'c', 'sent', NULL),
                        (3, '+33600000003', 42, 1000, 'x', 'sent', 'other/12345678');
                 DELETE FROM team_outbox;
                 INSERT INTO team_outbox (kind, external_id, payload, queued_at)
                 VALUES ('entry', '42:+33600000002', '{}', 1000),
                        ('suppressed', 'suppressed:+33600000009', '{}', 1000);",
            )
            .unwrap();
        }
        let db = Database::open(&path).unwrap();
        let c = db.connection();
        let unshared = crate::blackout::unshared(c, 10, None).unwrap();
        assert_eq!(unshared.len(), 1);
        assert_eq!(unshared[0].phone, "+33600000002");
        let kinds: Vec<String> = c
            .prepare("SELECT kind FROM team_outbox")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            kinds,
            ["suppressed"],
            "the suppression list's change stays queued"
        );
    }

    #[test]
    fn opens_in_wal_mode() {
        let tmp = tempfile::tempdir().unwrap();
        let db = Database::open(&tmp.path().join("a.sqlite3")).unwrap();
        assert_eq!(db.journal_mode().unwrap(), "wal");
    }

    #[test]
    fn reopening_keeps_data_and_version() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.sqlite3");
        let id = Database::open(&path).unwrap().workspace_id().unwrap();
        let db = Database::open(&path).unwrap();
        assert_eq!(
            db.workspace_id().unwrap(),
            id,
            "the workspace id is stable across opens"
        );
        assert_eq!(id.len(), 32);
    }

    #[test]
    fn a_database_from_a_newer_relay_is_refused_and_left_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", 99).unwrap();
        }
        let err = Database::open(&path).err().expect("must refuse");
        assert!(matches!(err, StorageError::TooNew { found: 99, .. }));
        let app: AppError = err.into();
        assert_eq!(app.code, ErrorCode::Storage);
        assert!(app.message.contains("newer Relay"), "{}", app.message);
        let conn = Connection::open(&path).unwrap();
        let v: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 99, "a refused database must not be modified");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_a_storage_error() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.sqlite3");
        std::fs::write(
            &path,
            b"this is not sqlite, just some text that is long enough to be a header",
        )
        .unwrap();
        let err: AppError = Database::open(&path).err().expect("must fail").into();
        assert_eq!(err.code, ErrorCode::Storage);
        assert_eq!(
            err.details.unwrap().path.unwrap(),
            path.display().to_string()
        );
    }
}
