//! How a command prints: the human form of what it found, or under `--json` its JSON form — one
//! document (the sends print one JSON event per line instead, `event`).

use serde::Serialize;
use serde_json::json;
use std::io::Write;

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `value`: its JSON, or what `human` writes of it.
    pub fn show<T: Serialize + ?Sized>(&self, value: &T, human: impl FnOnce(&T)) {
        if self.json {
            println!("{}", json!(value));
        } else {
            human(value);
        }
    }

    /// Prints a line for humans only (under `--json` the document says it).
    pub fn say(&self, line: impl std::fmt::Display) {
        if !self.json {
            println!("{line}");
        }
    }

    /// One JSON event on its own line (the sends' `created`, `progress`, `done`), ignoring a
    /// reader that went away (`| head`, a closed terminal): a send never stops, nor panics,
    /// because its output cannot be written.
    pub fn event(&self, event: &serde_json::Value) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{event}");
        let _ = out.flush();
    }
}
