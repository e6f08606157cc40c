//! The local database: one SQLite file in the data folder, WAL mode, forward-only migrations.
//!
//! Migrations are applied in order with `rusqlite_migration` (the schema version is SQLite's
//! `user_version`). They are never edited once released: a change is a new migration appended to
//! [`MIGRATIONS`]. A database written by a newer Relay is refused rather than downgraded.

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
    "CREATE TABLE app_meta (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    ) STRICT;",
    // 2: local templates (drafts), the Template as JSON.
    "CREATE TABLE templates (
        id         TEXT PRIMARY KEY NOT NULL,
        name       TEXT NOT NULL,
        body       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX templates_by_update ON templates (updated_at DESC);",
    // 3: what Relay knows of the app's messaging integrations, the WhatsApp templates last
    // synced from each, and the submissions of local templates (with a fingerprint of what was
    // submitted, to tell when a template was edited since).
    "CREATE TABLE integrations (
        id                 TEXT PRIMARY KEY NOT NULL,
        kind               TEXT NOT NULL,
        name               TEXT NOT NULL,
        templates_synced_at INTEGER
    ) STRICT;
    CREATE TABLE remote_templates (
        integration_id  TEXT NOT NULL,
        name            TEXT NOT NULL,
        language        TEXT NOT NULL,
        remote_id       TEXT,
        category        TEXT,
        status          TEXT NOT NULL,
        rejected_reason TEXT,
        components      TEXT NOT NULL,
        synced_at       INTEGER NOT NULL,
        PRIMARY KEY (integration_id, name, language)
    ) STRICT;
    CREATE TABLE template_submissions (
        template_id    TEXT NOT NULL,
        integration_id TEXT NOT NULL,
        fingerprint    TEXT NOT NULL,
        submitted_at   INTEGER NOT NULL,
        PRIMARY KEY (template_id, integration_id)
    ) STRICT;",
    // 4: audiences (a fetched Zendesk search, one row per user with its exclusion reason), the
    // local suppression list, and the blackout ledger (who received which message when; the
    // message as a 64-bit fingerprint, indexed by user and by phone).
    "CREATE TABLE audiences (
        id              TEXT PRIMARY KEY NOT NULL,
        query           TEXT NOT NULL,
        status          TEXT NOT NULL,
        users           INTEGER NOT NULL DEFAULT 0,
        pages           INTEGER NOT NULL DEFAULT 0,
        default_country TEXT NOT NULL,
        identities      INTEGER NOT NULL,
        fields          TEXT NOT NULL,
        message         TEXT,
        error           TEXT,
        created_at      INTEGER NOT NULL,
        finished_at     INTEGER
    ) STRICT;
    CREATE TABLE audience_members (
        audience_id     TEXT NOT NULL,
        user_id         INTEGER NOT NULL,
        seq             INTEGER NOT NULL,
        name            TEXT NOT NULL,
        email           TEXT,
        phone_raw       TEXT,
        phone           TEXT,
        phone_state     TEXT NOT NULL,
        phone_source    TEXT,
        locale          TEXT,
        time_zone       TEXT,
        external_id     TEXT,
        organization_id INTEGER,
        created_at      TEXT,
        user_fields     TEXT NOT NULL,
        removed         INTEGER NOT NULL DEFAULT 0,
        override        INTEGER NOT NULL DEFAULT 0,
        reason          TEXT,
        detail          TEXT,
        PRIMARY KEY (audience_id, user_id)
    ) STRICT;
    CREATE INDEX audience_members_by_reason ON audience_members (audience_id, reason, seq);
    CREATE TABLE suppressed (
        phone    TEXT PRIMARY KEY NOT NULL,
        note     TEXT NOT NULL DEFAULT '',
        added_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE blackout (
        user_id     INTEGER NOT NULL,
        phone       TEXT NOT NULL,
        fingerprint INTEGER NOT NULL,
        sent_at     INTEGER NOT NULL,
        campaign_id TEXT
    ) STRICT;
    CREATE INDEX blackout_by_user ON blackout (fingerprint, user_id, sent_at);
    CREATE INDEX blackout_by_phone ON blackout (fingerprint, phone, sent_at);",
    // 5: campaigns and their per-recipient ledger (payloads frozen when created).
    "CREATE TABLE campaigns (
        id               TEXT PRIMARY KEY NOT NULL,
        template_id      TEXT NOT NULL,
        template_name    TEXT NOT NULL,
        language         TEXT NOT NULL,
        integration_id   TEXT NOT NULL,
        channel          TEXT NOT NULL,
        fingerprint      INTEGER NOT NULL,
        audience_id      TEXT,
        query            TEXT NOT NULL,
        rate             INTEGER NOT NULL,
        auto_pause_after INTEGER NOT NULL,
        test             INTEGER NOT NULL DEFAULT 0,
        status           TEXT NOT NULL,
        pause_reason     TEXT,
        created_at       INTEGER NOT NULL,
        started_at       INTEGER,
        finished_at      INTEGER,
        runner           TEXT,
        lease_until      INTEGER
    ) STRICT;
    CREATE INDEX campaigns_by_creation ON campaigns (created_at DESC);
    CREATE TABLE campaign_recipients (
        campaign_id     TEXT NOT NULL,
        seq             INTEGER NOT NULL,
        user_id         INTEGER NOT NULL,
        name            TEXT NOT NULL,
        phone           TEXT,
        payload         TEXT,
        segments        INTEGER NOT NULL DEFAULT 0,
        state           TEXT NOT NULL,
        reason          TEXT,
        error           TEXT,
        notification_id TEXT,
        attempts        INTEGER NOT NULL DEFAULT 0,
        updated_at      INTEGER,
        PRIMARY KEY (campaign_id, seq)
    ) STRICT;
    CREATE INDEX campaign_recipients_by_state ON campaign_recipients (campaign_id, state, seq);",
    // 6: the SMS segments an audience's messages add up to, counted when it is checked.
    "ALTER TABLE audiences ADD COLUMN segments INTEGER NOT NULL DEFAULT 0;",
    // 7: only the queue is indexed by state (a recipient leaves it once): each send then
    // updates one index entry instead of four; reports filter the campaign's rows by key.
    "DROP INDEX campaign_recipients_by_state;
    CREATE INDEX campaign_recipients_pending ON campaign_recipients (campaign_id, seq) WHERE state = 'pending';",
    // 8: nobody twice. The ledger records `unknown` outcomes too (they may have been delivered);
    // a campaign keeps the blackout days it was created with and the host of its runner; a
    // recipient, when its blackout was overridden by hand (ms; 0: it was not), as a member's
    // `override` now is too. The rows in flight are indexed by number and by user: a claim sees at
    // once whether another campaign is sending the same message to them (only a few hundred rows
    // are ever `sending`). The `unknown` outcomes of earlier versions get their blackout entry;
    // their campaigns, the default blackout days (the setting they were made with is not known).
    "ALTER TABLE blackout ADD COLUMN state TEXT NOT NULL DEFAULT 'sent';
    ALTER TABLE campaigns ADD COLUMN blackout_days INTEGER NOT NULL DEFAULT 7;
    ALTER TABLE campaigns ADD COLUMN runner_host TEXT;
    ALTER TABLE campaign_recipients ADD COLUMN override INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX campaign_recipients_sending ON campaign_recipients (phone) WHERE state = 'sending';
    CREATE INDEX campaign_recipients_sending_user ON campaign_recipients (user_id) WHERE state = 'sending';
    INSERT INTO blackout (user_id, phone, fingerprint, sent_at, campaign_id, state)
        SELECT r.user_id, r.phone, k.fingerprint, COALESCE(r.updated_at, k.created_at), r.campaign_id, 'unknown'
        FROM campaign_recipients r JOIN campaigns k ON k.id = r.campaign_id
        WHERE r.state = 'unknown' AND k.test = 0 AND r.phone IS NOT NULL;
    UPDATE audience_members SET override = CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE override = 1;",
    // 9: nobody lost. An audience keeps Zendesk's count of its search (to say when the export
    // returned fewer) and how many results Zendesk returned that could not be read as users.
    "ALTER TABLE audiences ADD COLUMN expected INTEGER;
    ALTER TABLE audiences ADD COLUMN unreadable INTEGER NOT NULL DEFAULT 0;",
    // 10: one team, many desktops. What this desktop still has to push to the team's store (one
    // row per record, the latest value), where each pull stopped, and which desktop a ledger
    // entry came from (NULL: this one). The ledger so far is queued, so a team sees it.
    "CREATE TABLE team_outbox (
        kind        TEXT NOT NULL,
        external_id TEXT NOT NULL,
        payload     TEXT NOT NULL,
        queued_at   INTEGER NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        last_error  TEXT,
        PRIMARY KEY (kind, external_id)
    ) STRICT;
    CREATE TABLE team_sync (
        kind      TEXT PRIMARY KEY NOT NULL,
        cursor    TEXT,
        pulled_at INTEGER,
        pushed_at INTEGER
    ) STRICT;
    ALTER TABLE blackout ADD COLUMN origin TEXT;
    ALTER TABLE campaigns ADD COLUMN desktop_only INTEGER NOT NULL DEFAULT 0;
    INSERT OR REPLACE INTO team_outbox (kind, external_id, payload, queued_at)
        SELECT 'entry', fingerprint || ':' || phone,
               json_object('fingerprint', CAST(fingerprint AS TEXT), 'number', phone,
                           'user_id', CAST(user_id AS TEXT), 'sent_at', MAX(sent_at),
                           'state', state, 'campaign', campaign_id),
               MAX(sent_at)
        FROM blackout GROUP BY fingerprint, phone;",
    // 11: the suppression list is the team's too: the numbers so far queued for its store.
    "INSERT OR IGNORE INTO team_outbox (kind, external_id, payload, queued_at)
        SELECT 'suppressed', 'suppressed:' || phone,
               json_object('number', phone, 'note', note, 'removed', json('false'), 'changed_at', added_at),
               added_at
        FROM suppressed;",
    // 12: the right moment. Each recipient's time zone (and where it came from) as frozen, and
    // the earliest it may be sent (ms; 0: at once), set when its quiet hours defer it; the queue
    // is read in that order. A campaign's quiet hours, when it waits (`next_at`), its schedule
    // (`scheduled_at`), what it was made of to be frozen again at its time (`spec`), and its
    // counts when it was scheduled.
    "ALTER TABLE campaign_recipients ADD COLUMN time_zone TEXT;
    ALTER TABLE campaign_recipients ADD COLUMN zone_source TEXT;
    ALTER TABLE campaign_recipients ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0;
    DROP INDEX campaign_recipients_pending;
    CREATE INDEX campaign_recipients_pending ON campaign_recipients (campaign_id, not_before, seq) WHERE state = 'pending';
    ALTER TABLE campaigns ADD COLUMN quiet_hours TEXT;
    ALTER TABLE campaigns ADD COLUMN next_at INTEGER;
    ALTER TABLE campaigns ADD COLUMN scheduled_at INTEGER;
    ALTER TABLE campaigns ADD COLUMN spec TEXT;
    ALTER TABLE campaigns ADD COLUMN scheduled_counts TEXT;",
    // 13: the team's campaigns and policy. Summaries of the other desktops' campaigns as pulled
    // (their record's fields), what the store last confirmed of this desktop's, and the team's
    // policy as last read (with Zendesk's time of it).
    "CREATE TABLE team_campaigns (
        campaign_id TEXT PRIMARY KEY NOT NULL,
        desktop     TEXT NOT NULL,
        payload     TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    ) STRICT;
    CREATE TABLE team_campaign_pushed (
        campaign_id TEXT PRIMARY KEY NOT NULL,
        status      TEXT,
        payload     TEXT NOT NULL
    ) STRICT;
    CREATE TABLE team_policy (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        value      TEXT NOT NULL,
        changed_at TEXT NOT NULL
    ) STRICT;",
    // 14: the right number. Each member's number with its kind, why it is not a number, and the
    // extension dropped from it; the rules an audience's numbers were read under (1: before
    // letters were refused; read again at its next check) and whether it includes fixed lines,
    // kept by the campaigns made from it; a suppressed number's input as typed and the default
    // country it was read in (NULL: not kept — made before letters were refused, or by another
    // desktop) and the rules it was read under; the rules a campaign's numbers were frozen under
    // (what it may still send is read again before it sends).
    "ALTER TABLE audience_members ADD COLUMN phone_kind TEXT;
    ALTER TABLE audience_members ADD COLUMN phone_problem TEXT;
    ALTER TABLE audience_members ADD COLUMN phone_ext TEXT;
    ALTER TABLE audiences ADD COLUMN reader INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE audiences ADD COLUMN include_fixed_lines INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE campaigns ADD COLUMN include_fixed_lines INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE suppressed ADD COLUMN typed TEXT;
    ALTER TABLE suppressed ADD COLUMN country TEXT;
    ALTER TABLE suppressed ADD COLUMN reader INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE campaigns ADD COLUMN reader INTEGER NOT NULL DEFAULT 1;",
    // 15: Relay hears "no". Why a number is on the list (`manual`, `opted_out` by a reply) and
    // the reply that put it there; each member's tags (kept from now: an audience fetched before
    // has none, `tags_kept` 0), an admin's leave to send without consent (when, and why); the
    // channel kind an audience is checked for; the replies read from Zendesk (one row per
    // end-user comment, with Relay's verdict), the tickets read (at which update), and where the
    // reading stands.
    "ALTER TABLE suppressed ADD COLUMN reason TEXT NOT NULL DEFAULT 'manual';
    ALTER TABLE suppressed ADD COLUMN evidence TEXT;
    ALTER TABLE audience_members ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE audience_members ADD COLUMN consent_override INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE audience_members ADD COLUMN consent_note TEXT;
    ALTER TABLE audiences ADD COLUMN tags_kept INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE audiences ADD COLUMN channel TEXT;
    CREATE TABLE optout_replies (
        comment_id INTEGER PRIMARY KEY NOT NULL,
        ticket_id  INTEGER NOT NULL,
        user_id    INTEGER NOT NULL,
        text       TEXT NOT NULL,
        word       TEXT,
        verdict    TEXT NOT NULL,
        numbers    TEXT NOT NULL,
        at         INTEGER NOT NULL,
        channel    TEXT NOT NULL,
        read_at    INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX optout_replies_by_verdict ON optout_replies (verdict, at);
    CREATE TABLE optout_tickets (
        ticket_id  INTEGER PRIMARY KEY NOT NULL,
        updated_at TEXT NOT NULL,
        read_at    INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE optout_sync (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        cursor  TEXT,
        read_at INTEGER,
        error   TEXT
    ) STRICT;",
    // 16: the team's store at Zendesk's scale. The ledger says which of its entries the team has
    // (`shared`: NULL still to push — read in the order of a partial index, never by sorting the
    // whole queue —, 1 in a batch, 2 in the per-entry records of an earlier Relay) and which batch
    // one is in flight in (written, not yet confirmed: `in_flight`, the batches so posted in
    // `team_in_flight`), and holds the other desktops' entries by the number's keyed hash
    // (`number_key`; their user id and number are not in the store: 0 and ''); the suppression
    // list's numbers likewise. The entries queued one record each are queued again as the
    // ledger's own unshared rows, to go in batches.
    "ALTER TABLE blackout ADD COLUMN number_key INTEGER;
    ALTER TABLE blackout ADD COLUMN shared INTEGER;
    ALTER TABLE blackout ADD COLUMN in_flight TEXT;
    UPDATE blackout SET shared = 2;
    UPDATE blackout SET shared = NULL WHERE origin IS NULL
        AND (CAST(fingerprint AS TEXT) || ':' || phone) IN (SELECT external_id FROM team_outbox WHERE kind = 'entry');
    DELETE FROM team_outbox WHERE kind = 'entry';
    CREATE INDEX blackout_by_number_key ON blackout (fingerprint, number_key, sent_at) WHERE number_key IS NOT NULL;
    CREATE INDEX blackout_unshared ON blackout (fingerprint, campaign_id) WHERE shared IS NULL;
    CREATE INDEX blackout_in_flight ON blackout (in_flight) WHERE in_flight IS NOT NULL;
    CREATE TABLE team_in_flight (
        external_id TEXT PRIMARY KEY NOT NULL,
        posted_at   INTEGER NOT NULL
    ) STRICT;
    ALTER TABLE suppressed ADD COLUMN number_key INTEGER;
    CREATE INDEX suppressed_by_number_key ON suppressed (number_key) WHERE number_key IS NOT NULL;",
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
