//! The right moment: quiet hours kept in each recipient's own time zone (`quiet`), where that
//! zone comes from (`zone`), and what a campaign's timing looks like before it is sent
//! (`preview`). The engine defers a recipient in quiet hours until their window opens; the
//! campaigns' schedules are in `campaign::schedule`.

pub mod preview;
pub mod quiet;
pub mod zone;

pub use preview::{TimingPreview, ZoneCounts};
pub use quiet::QuietHours;
pub use zone::{ZoneResolver, ZoneSource};
