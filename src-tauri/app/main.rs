// In release builds on Windows, do not open a console window next to the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    #[cfg(all(windows, not(debug_assertions)))]
    attach_parent_console();
    std::process::exit(relay_app::cli::main());
}

/// A release build on Windows is a GUI program, so Windows gives it no console: started from a
/// terminal (`relay.exe send …`), it attaches to that terminal's console so the CLI's output
/// and prompts appear there; started from the Start menu there is no parent console, the call
/// fails, and no console window opens. Output redirected to a file or a pipe is left as it is.
/// (Not tested here: there is no Windows on the development machine.)
#[cfg(all(windows, not(debug_assertions)))]
fn attach_parent_console() {
    use windows_sys::Win32::System::Console::{
        AttachConsole, GetStdHandle, ATTACH_PARENT_PROCESS, STD_OUTPUT_HANDLE,
    };
    // SAFETY: plain Win32 calls with constant arguments; a failure (no parent console) is the
    // Start-menu case and is meant to be ignored.
    unsafe {
        let out = GetStdHandle(STD_OUTPUT_HANDLE);
        if out.is_null() {
            AttachConsole(ATTACH_PARENT_PROCESS);
        }
    }
}
