//! The window's commands through Tauri's mock runtime (no window, no display): the IPC surface,
//! the generated TypeScript bindings, the updater. One binary: one link of the app for all.

mod mock;

mod bindings;
mod commands;
mod updater;
