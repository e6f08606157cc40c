//! The database thread: a connection of its own, on a thread of its own. The send engine's
//! reads and writes (the queue, claims, outcomes, the lease) run there, in order, so that
//! SQLite — a busy disk, another writer holding the lock for seconds — never blocks the async
//! runtime's threads: the send loop, its heartbeat and the responses being read go on meanwhile.

use super::{Database, StorageError};
use crate::error::{AppError, AppResult};
use rusqlite::Connection;
use std::path::Path;

type Job = Box<dyn FnOnce(&Connection) + Send>;

fn stopped() -> AppError {
    AppError::internal("the database thread stopped")
}

/// A handle to the database thread; the thread ends when the last handle is dropped.
pub struct Writer {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl Writer {
    /// Opens a second connection to the (already migrated) database at `path`, configured like
    /// the first (WAL, durable commits, busy timeout, the number key), and starts its thread.
    pub fn open(
        path: &Path,
        number_keys: &crate::number_key::NumberKeys,
    ) -> Result<Writer, StorageError> {
        let conn = Database::open_connection(path)?;
        Database::register_keys(&conn, number_keys, path)?;
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("relay-db".into())
            .spawn(move || {
                for job in queue {
                    job(&conn);
                }
            })
            .map_err(|e| StorageError::Open {
                path: path.to_path_buf(),
                source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
            })?;
        Ok(Writer { jobs })
    }

    /// Runs `f` on the database thread, after the jobs submitted before it; awaits its result.
    pub async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> AppResult<R> + Send + 'static,
    ) -> AppResult<R> {
        self.submit(f)?.await.map_err(|_| stopped())?
    }

    /// Queues `f` on the database thread; its result arrives on the returned channel (awaiting
    /// it is optional: the job runs either way).
    pub fn submit<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> R + Send + 'static,
    ) -> AppResult<tokio::sync::oneshot::Receiver<R>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |conn| {
                let _ = tx.send(f(conn));
            }))
            .map_err(|_| stopped())?;
        Ok(rx)
    }
}
