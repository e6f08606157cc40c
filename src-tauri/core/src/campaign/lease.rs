//! One runner per campaign, ever: a lock file and a lease.
//!
//! - The **lock file** (`locks/campaign-{id}.lock`, held exclusively while the campaign is sent
//!   or changed) keeps out every other process on this machine; the OS frees it when its process
//!   dies, however it dies. In this process, a set of the campaigns being run keeps out a second
//!   run without touching the file (where file locks belong to the process, as on some network
//!   file systems, opening and closing the file again would release the first run's lock).
//! - The **lease** in the database (runner, host, until) says who runs it, renewed by the
//!   heartbeat. A runner on another machine (a data folder on a network share, where locks may not
//!   reach across machines) is trusted while its lease is alive: taking over is refused until it
//!   runs out. On this machine the lock file is the proof: holding it means the lease's holder is
//!   gone.
//! - **Probing** whether a campaign is being sent never takes the exclusive lock: only a shared
//!   one, for an instant, and only when the lease is alive; the exclusive takers retry for a
//!   moment, so a probe never makes a resume or a cancel fail.

use super::store::not_found;
use super::{ledger, CampaignStatus};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::workspace::Workspace;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

/// A runner holds a campaign this long without a heartbeat; it renews every third of it.
pub const LEASE_MS: i64 = 15_000;

/// The lock files this process holds, by path.
static HELD: LazyLock<Mutex<HashSet<PathBuf>>> = LazyLock::new(Default::default);

fn held_here() -> std::sync::MutexGuard<'static, HashSet<PathBuf>> {
    HELD.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) use crate::workspace::this_host;

pub(crate) fn busy(id: &str) -> AppError {
    AppError::new(
        ErrorCode::InvalidInput,
        crate::text!("campaign.busy", id = id),
    )
}

/// A campaign held by this process; dropping it releases the lock.
pub(crate) struct RunLock {
    path: PathBuf,
    file: Option<std::fs::File>,
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // The file first: a run starting here right after must not open it while this one
        // still holds it (with locks per process, closing this one would release the other's).
        drop(self.file.take());
        held_here().remove(&self.path);
    }
}

fn lock_path(ws: &Workspace, id: &str) -> PathBuf {
    kind_path(ws, "campaign", id)
}

fn kind_path(ws: &Workspace, kind: &str, id: &str) -> PathBuf {
    ws.data_dir().lock_dir().join(format!("{kind}-{id}.lock"))
}

/// Takes a campaign's lock, exclusively; refused while another runner holds it.
pub(crate) fn lock(ws: &Workspace, id: &str) -> AppResult<RunLock> {
    lock_kind(ws, "campaign", id)
}

/// Takes the lock of a `kind` of long work (`campaign`, `audience`) on `id`, exclusively: held
/// while the work goes on, freed by the OS however the process ends.
pub(crate) fn lock_kind(ws: &Workspace, kind: &str, id: &str) -> AppResult<RunLock> {
    let path = kind_path(ws, kind, id);
    if !held_here().insert(path.clone()) {
        return Err(busy(id));
    }
    match open_exclusive(ws, id, &path) {
        Ok(file) => Ok(RunLock {
            path,
            file: Some(file),
        }),
        Err(e) => {
            held_here().remove(&path);
            Err(e)
        }
    }
}

fn open_exclusive(ws: &Workspace, id: &str, path: &PathBuf) -> AppResult<std::fs::File> {
    let dir = ws.data_dir().lock_dir();
    let io = |e: std::io::Error| {
        AppError::new(
            ErrorCode::Io,
            crate::text!("campaign.lock_failed", dir = dir.display(), detail = e),
        )
        .with_path(&dir)
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io)?;
    // A probe holds a shared lock for microseconds: a few tries ride it out.
    for _ in 0..50 {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => std::thread::sleep(Duration::from_millis(4)),
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
    }
    Err(busy(id))
}

/// Whether a live runner holds the campaign (this process included). Call it only when the lease
/// is alive: a lease from another computer is taken at its word (its lock is not visible from
/// here); on this one the file tells, with a shared lock taken for an instant.
pub(crate) fn held(ws: &Workspace, id: &str, lease_host: Option<&str>) -> bool {
    if lease_host.is_some_and(|h| h != this_host()) {
        return true;
    }
    let path = lock_path(ws, id);
    if held_here().contains(&path) {
        return true;
    }
    let Ok(file) = std::fs::File::open(&path) else {
        return false;
    };
    matches!(
        file.try_lock_shared(),
        Err(std::fs::TryLockError::WouldBlock)
    )
}

/// Refuses to take a campaign over while a runner on another machine holds a live lease (on
/// this machine, the caller's lock proves the lease's holder is gone).
pub(crate) fn check_takeover(
    conn: &Connection,
    id: &str,
    host: &str,
    now_ms: i64,
) -> AppResult<()> {
    let free: Option<bool> = conn
        .query_row(
            "SELECT runner IS NULL OR lease_until IS NULL OR lease_until <= ?2
                    OR runner_host IS NULL OR runner_host = ?3
             FROM campaigns WHERE id = ?1",
            params![id, now_ms, host],
            |r| r.get(0),
        )
        .optional()?;
    match free {
        None => Err(not_found(id)),
        Some(true) => Ok(()),
        Some(false) => Err(refused(conn, id, now_ms)?),
    }
}

/// Takes the campaign's lease (the caller holds its lock) and marks it running. Rows a dead
/// runner left `sending` become `unknown`; returns how many. Refused while a runner on another
/// machine holds a live lease.
pub(crate) fn acquire(
    conn: &Connection,
    id: &str,
    runner: &str,
    host: &str,
    now_ms: i64,
) -> AppResult<u32> {
    check_takeover(conn, id, host, now_ms)?;
    conn.execute(
        "UPDATE campaigns SET runner = ?2, runner_host = ?3, lease_until = ?4, status = 'running',
             pause_reason = NULL, started_at = COALESCE(started_at, ?5)
         WHERE id = ?1",
        params![id, runner, host, now_ms + LEASE_MS, now_ms],
    )?;
    ledger::recover_in_flight(conn, id, now_ms)
}

/// Why a campaign cannot be taken over: who holds it, until when.
fn refused(conn: &Connection, id: &str, now_ms: i64) -> AppResult<AppError> {
    let holder: Option<(Option<String>, Option<i64>)> = conn
        .query_row(
            "SELECT runner_host, lease_until FROM campaigns WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((host, until)) = holder else {
        return Ok(not_found(id));
    };
    let secs = until.map_or(0, |u| (u - now_ms).max(0) / 1000 + 1);
    Ok(AppError::new(
        ErrorCode::InvalidInput,
        match host {
            Some(host) => crate::text!("campaign.held_by", id = id, host = host, secs = secs),
            None => crate::text!("campaign.held", id = id, secs = secs),
        },
    ))
}

/// The heartbeat: extends the lease, or fails if another runner took it over.
pub(crate) fn renew(conn: &Connection, id: &str, runner: &str, now_ms: i64) -> AppResult<()> {
    let n = conn.execute(
        "UPDATE campaigns SET lease_until = ?3 WHERE id = ?1 AND runner = ?2",
        params![id, runner, now_ms + LEASE_MS],
    )?;
    if n == 0 {
        return Err(AppError::new(
            ErrorCode::Internal,
            crate::text!("campaign.taken_over"),
        ));
    }
    Ok(())
}

/// Ends a run: the campaign's status and pause reason, the lease released (a completed or
/// cancelled one gets its finish time). False when `runner` no longer held it (taken over):
/// nothing changed.
pub(crate) fn release(
    conn: &Connection,
    id: &str,
    runner: &str,
    status: CampaignStatus,
    reason: Option<&crate::text::Text>,
    now_ms: i64,
) -> AppResult<bool> {
    let finished = status.is_finished().then_some(now_ms);
    let n = conn.execute(
        "UPDATE campaigns SET status = ?3, pause_reason = ?4, finished_at = ?5, runner = NULL,
                 runner_host = NULL, lease_until = NULL
             WHERE id = ?1 AND runner = ?2",
        params![id, runner, status, reason, finished],
    )?;
    Ok(n == 1)
}
