//! The Sunshine Conversations notification a rendered message becomes: a WhatsApp template
//! message (`messageSchema: whatsapp`, with its components and parameters) or an SMS text.

use super::mapping::SlotComponent;
use super::render::Rendered;
use super::render::Renderer;
use crate::template::{ButtonKind, HeaderKind};

impl Renderer {
    /// The designer's previews of a recipient's message.
    /// The Notification API body (v1.1) of a rendered message to `phone`: a WhatsApp template
    /// with its header, body and link-button parameters, or an SMS text.
    pub fn notification(
        &self,
        integration_id: &str,
        namespace: &str,
        phone: &str,
        rendered: &Rendered,
    ) -> serde_json::Value {
        use serde_json::json;
        let destination = json!({ "integrationId": integration_id, "destinationId": phone });
        if self.sms {
            return json!({
                "destination": destination,
                "author": { "role": "appMaker" },
                "message": { "type": "text", "text": rendered.text },
            });
        }
        let text = |v: &String| json!({ "type": "text", "text": v });
        let of = |component: SlotComponent| -> Vec<&String> {
            self.slots
                .iter()
                .zip(&rendered.values)
                .filter(|(s, _)| s.component == component)
                .map(|(_, v)| v)
                .collect()
        };
        let mut components = Vec::new();
        let h = &self.template.header;
        match h.kind {
            HeaderKind::Text => {
                let values = of(SlotComponent::Header);
                if !values.is_empty() {
                    components.push(json!({
                        "type": "header",
                        "parameters": values.into_iter().map(text).collect::<Vec<_>>(),
                    }));
                }
            }
            HeaderKind::Image | HeaderKind::Video | HeaderKind::Document => {
                let kind = match h.kind {
                    HeaderKind::Image => "image",
                    HeaderKind::Video => "video",
                    _ => "document",
                };
                components.push(json!({
                    "type": "header",
                    "parameters": [{ "type": kind, kind: { "link": h.url } }],
                }));
            }
            HeaderKind::None => {}
        }
        let body = of(SlotComponent::Body);
        if !body.is_empty() {
            components.push(json!({
                "type": "body",
                "parameters": body.into_iter().map(text).collect::<Vec<_>>(),
            }));
        }
        // Each link button with a dynamic value gets it, by the button's index.
        let mut button_values = of(SlotComponent::Button).into_iter();
        for (index, b) in self.template.buttons.iter().enumerate() {
            if b.kind != ButtonKind::Url || !b.value.contains("{{") {
                continue;
            }
            if let Some(v) = button_values.next() {
                components.push(json!({
                    "type": "button",
                    "sub_type": "url",
                    "index": index.to_string(),
                    "parameters": [text(v)],
                }));
            }
        }
        let mut template = json!({
            "name": self.template.name,
            "language": { "policy": "deterministic", "code": self.template.language },
            "components": components,
        });
        if !namespace.trim().is_empty() {
            template["namespace"] = json!(namespace.trim());
        }
        json!({
            "destination": destination,
            "author": { "role": "appMaker" },
            "messageSchema": "whatsapp",
            "message": { "type": "template", "template": template },
        })
    }
}
