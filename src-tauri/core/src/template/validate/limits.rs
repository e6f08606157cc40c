//! Every limit the validator applies, in one place (Meta changes them: keep them here). Sources:
//! Meta's template guidelines and the carriers' SMS limits (Twilio error 21617).

/// Every limit the validator applies, in one place (Meta changes them: keep them here).
#[derive(Debug, Clone, Copy, serde::Serialize, specta::Type)]
pub struct Limits {
    pub name_max: usize,
    pub header_text_max: usize,
    pub header_values_max: usize,
    pub body_max: usize,
    pub footer_max: usize,
    pub button_text_max: usize,
    pub url_max: usize,
    pub phone_max: usize,
    pub url_buttons_max: usize,
    pub phone_buttons_max: usize,
    pub quick_replies_max: usize,
    pub buttons_max: usize,
    pub body_newlines_max: usize,
    pub spaces_max: usize,
    pub marketing_body_warn: usize,
    pub sms_max: usize,
}

pub const LIMITS: Limits = Limits {
    name_max: 512,
    header_text_max: 60,
    header_values_max: 1,
    body_max: 1024,
    footer_max: 60,
    button_text_max: 25,
    url_max: 2000,
    phone_max: 20,
    url_buttons_max: 2,
    phone_buttons_max: 1,
    quick_replies_max: 10,
    buttons_max: 10,
    body_newlines_max: 2,
    spaces_max: 4,
    marketing_body_warn: 550,
    sms_max: 1600,
};
