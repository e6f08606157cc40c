// In release builds on Windows, do not open a console window next to the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    std::process::exit(relay_app::cli::main());
}
