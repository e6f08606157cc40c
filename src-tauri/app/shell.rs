//! The shell's wiring: the Tauri app built (plugins, the command handler, window and menu
//! events, the state and its shell seams set up, the update check and the scheduler started)
//! and run (the tray, a quit asked by a signal, sends paused before the process exits).

#[cfg(target_os = "macos")]
use crate::menu::app_menu;
use crate::menu::QUIT_ITEM;
use crate::signals::quit_signal;
use crate::specta_builder;
use crate::state::{self, AppState};
use crate::{scheduler, tray, updates};
use relay_core::paths::DataDir;
use relay_core::secrets::SecretStore;
use std::sync::Arc;
use tauri::{Manager, Runtime};

/// How the window should open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DemoMode {
    /// Open the demo workspace if it was open last time.
    #[default]
    Remember,
    /// Open the demo workspace unless a workspace of one's own is configured (`./x run`).
    IfUnconfigured,
}

/// The Tauri app, generic over the runtime so command tests can use `tauri::test::MockRuntime`.
pub fn build_app<R: Runtime>(
    builder: tauri::Builder<R>,
    data: DataDir,
    secret_store: Arc<dyn SecretStore>,
    demo: DemoMode,
) -> tauri::Builder<R> {
    let specta = specta_builder::<R>();
    builder
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .args([tray::IN_TRAY_ARG])
                .build(),
        )
        .invoke_handler(specta.invoke_handler())
        .on_window_event(|window, event| {
            // Closing the window while campaigns are sending never stops them: the page asks
            // what to do (and answers with `close_while_sending`).
            // With nothing sending but campaigns scheduled or waiting, Relay stays in the tray.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                if !window.app_handle().state::<AppState>().may_close()
                    || tray::keep_in_tray(window.app_handle())
                {
                    api.prevent_close();
                }
            }
        })
        .on_menu_event(|app, event| {
            if event.id() == QUIT_ITEM {
                app.exit(0);
            }
        })
        .setup(move |app| {
            #[cfg(target_os = "macos")]
            {
                let menu = app_menu(app.handle())?;
                app.set_menu(menu)?;
            }
            // The same settings file the CLI reads and writes, atomically and under a lock.
            let backend_for: state::BackendFactory = Box::new(move |dir: &DataDir| {
                Box::new(relay_core::settings::JsonFileBackend::new(
                    &dir.settings_file(),
                ))
            });
            let (a, b, c, d, e, f, g) = (
                app.handle().clone(),
                app.handle().clone(),
                app.handle().clone(),
                app.handle().clone(),
                app.handle().clone(),
                app.handle().clone(),
                app.handle().clone(),
            );
            let shell = state::Shell {
                notify: Box::new(move |title, body| {
                    use tauri_plugin_notification::NotificationExt;
                    if let Err(e) = a.notification().builder().title(title).body(body).show() {
                        tracing::warn!("could not show the desktop notification: {e}");
                    }
                }),
                hide: Box::new(move || {
                    for w in b.webview_windows().values() {
                        let _ = w.hide();
                    }
                }),
                exit: Box::new(move || c.exit(0)),
                downloads: Box::new(move || d.path().download_dir().ok()),
                updater: Box::new(move |url| {
                    use tauri_plugin_updater::UpdaterExt;
                    let builder = e.updater_builder();
                    match url {
                        Some(url) => builder.endpoints(vec![url])?.build(),
                        None => builder.build(),
                    }
                }),
                restart: Box::new(move || f.restart()),
                autostart: Box::new(move |change| {
                    use tauri_plugin_autostart::ManagerExt;
                    let launcher = g.autolaunch();
                    match change {
                        Some(true) => launcher.enable(),
                        Some(false) => launcher.disable(),
                        None => Ok(()),
                    }
                    .and_then(|()| launcher.is_enabled())
                    .map_err(|e| e.to_string())
                }),
            };
            let state = AppState::new(data, secret_store, backend_for, shell);
            let open_demo = match (state.main().and_then(|m| m.settings_view()), demo) {
                (Ok(view), DemoMode::Remember) => view.settings.demo_active,
                (Ok(view), DemoMode::IfUnconfigured) => {
                    view.settings.demo_active || !view.configured
                }
                (Err(_), _) => false,
            };
            if open_demo {
                if let Err(e) = tauri::async_runtime::block_on(state.start_demo()) {
                    tracing::error!(
                        code = e.code.as_str(),
                        "could not open the demo workspace: {}",
                        e.message
                    );
                }
            }
            app.manage(state);
            // The update check at start, off the window's way (skipped while a campaign is sent).
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                updates::check_at_start(&handle.state::<AppState>()).await;
            });
            // Campaigns sent at their time: scheduled ones, and those waiting for quiet hours.
            tauri::async_runtime::spawn(scheduler::keep(app.handle().clone()));
            Ok(())
        })
}

/// Opens the window (what `relay` with no subcommand does).
pub fn run_gui(data: DataDir, demo: DemoMode, in_tray: bool) -> Result<(), relay_core::AppError> {
    let log = relay_core::logging::init(&data.log_dir())?;
    tracing::info!(version = relay_core::VERSION, data_dir = %data.root().display(), log = %log.display(), "starting Relay");
    let app = build_app(
        tauri::Builder::default(),
        data,
        Arc::new(relay_core::secrets::KeyringStore),
        demo,
    )
    .build(tauri::generate_context!())
    .map_err(|e| {
        relay_core::AppError::new(
            relay_core::ErrorCode::Internal,
            relay_core::text!("app.window", detail = e),
        )
    })?;
    // A signal asks the app to quit like its menu does (sends pause first, see below).
    let handle = app.handle().clone();
    tauri::async_runtime::spawn(async move {
        quit_signal().await;
        tracing::info!("asked to stop by a signal");
        handle.exit(0);
    });
    app.run(move |app, event| match event {
        // Once set up (`setup` runs on the event loop's first turn): the tray icon — a real
        // desktop's, not the command tests' mock runtime — and, opened at login, the window
        // hidden in it until asked for.
        tauri::RunEvent::Ready => {
            let Some(state) = app.try_state::<AppState>() else {
                return;
            };
            let lang = relay_core::text::Lang::of(
                state
                    .workspace()
                    .and_then(|ws| ws.settings())
                    .map(|s| s.language)
                    .unwrap_or_default(),
            );
            tray::install(app, lang);
            if in_tray && state.in_tray.load(std::sync::atomic::Ordering::Relaxed) {
                for w in app.webview_windows().values() {
                    let _ = w.hide();
                }
            }
        }
        tauri::RunEvent::ExitRequested { api, .. }
            if app.try_state::<AppState>().is_some_and(|s| !s.may_exit()) =>
        {
            api.prevent_exit();
        }
        // An exit that could not be asked first (a quit the system forces): the sends still pause
        // and land before the process goes, for as long as a request can take.
        tauri::RunEvent::Exit => {
            if let Some(s) = app.try_state::<AppState>() {
                s.pause_and_wait(std::time::Duration::from_secs(35));
            }
        }
        _ => {}
    });
    Ok(())
}
