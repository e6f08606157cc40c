//! The real app (its commands and plugins) on Tauri's mock runtime: no window, no display.
//! Shared by the IPC tests; each calls commands as the page does.

use relay_core::paths::DataDir;
use relay_core::secrets::MemoryStore;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use tauri::test::{
    get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY,
};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

pub struct Harness {
    pub app: App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
}

/// The app on data folder `data`; its updater trusts `pubkey` (None: the app's own, from
/// tauri.conf.json).
pub fn harness_with(data: &Path, pubkey: Option<&str>) -> Harness {
    let mut ctx = mock_context(noop_assets());
    // mock_context has an empty identifier; give it one so nothing lands in the user's folders.
    ctx.config_mut().identifier = "app.relay.desktop.test".into();
    let conf: Value = serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
    let mut updater = conf["plugins"]["updater"].clone();
    if let Some(pubkey) = pubkey {
        updater["pubkey"] = pubkey.into();
    }
    ctx.config_mut().plugins.0.insert("updater".into(), updater);
    let mut app = relay_app::build_app(
        mock_builder(),
        DataDir::at(data).unwrap(),
        Arc::new(MemoryStore::new()),
        relay_app::DemoMode::Remember,
    )
    .build(ctx)
    .expect("build the app");
    // `setup` (which opens the workspace) runs on the first event-loop iteration. One call, not
    // a loop, so the busy-loop concern behind the deprecation does not apply; it exercises the
    // real setup path rather than a copy of it.
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock window");
    Harness { app, window }
}

impl Harness {
    pub fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke_on(&self.window, cmd, args)
    }
}

/// Calls a command as the page does, from any thread.
pub fn invoke_on(
    window: &WebviewWindow<MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: tauri::ipc::InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}
