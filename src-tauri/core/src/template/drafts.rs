//! Local templates (drafts): saved in the workspace's SQLite database as the designer types,
//! with no network and no workspace needed. A draft may be invalid; validation is separate.

use super::{sanitize_name, Template};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::Database;
use crate::workspace::Workspace;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct Draft {
    pub id: String,
    pub template: Template,
    /// Milliseconds since the Unix epoch (as text: beyond JavaScript's safe integers is not an
    /// issue for dates, but the bindings refuse 64-bit numbers).
    pub created_at: String,
    pub updated_at: String,
}

fn row_to_draft(id: String, json: String, created: i64, updated: i64) -> AppResult<Draft> {
    let template = serde_json::from_str(&json).map_err(|e| {
        AppError::new(
            ErrorCode::Storage,
            crate::text!("template.unreadable", id = id, detail = e),
        )
    })?;
    Ok(Draft {
        id,
        template,
        created_at: created.to_string(),
        updated_at: updated.to_string(),
    })
}

/// Saves a draft: a new one when `id` is None, else replaces that draft (its creation time kept).
pub fn save(db: &Database, id: Option<&str>, template: &Template, now_ms: i64) -> AppResult<Draft> {
    save_renaming(db, id, template, &[], now_ms)
}

/// [`save`], giving the draft's name to `translations` too (the drafts of its template, the
/// designer's others) in the same transaction: a renamed template is never left split between
/// two names. A translation deleted meanwhile is left out; one that cannot be read fails it all.
pub fn save_renaming(
    db: &Database,
    id: Option<&str>,
    template: &Template,
    translations: &[String],
    now_ms: i64,
) -> AppResult<Draft> {
    let id = db.write(|conn| {
        let id = match id {
            Some(id) => {
                update(conn, id, template, now_ms)?;
                id.to_string()
            }
            None => insert(conn, template, now_ms)?,
        };
        // Read on the transaction's own connection (the database has one).
        for other in translations.iter().filter(|other| **other != id) {
            let draft = match get(db, other) {
                Err(e) if e.code == ErrorCode::NotFound => continue,
                found => found?,
            };
            if draft.template.name != template.name {
                let renamed = Template {
                    name: template.name.clone(),
                    ..draft.template
                };
                update(conn, &draft.id, &renamed, now_ms)?;
            }
        }
        Ok(id)
    })?;
    get(db, &id)
}

/// Replaces a draft's row (its creation time kept).
fn update(
    conn: &rusqlite::Connection,
    id: &str,
    template: &Template,
    now_ms: i64,
) -> AppResult<()> {
    let json = serde_json::to_string(template).map_err(AppError::internal)?;
    let changed = conn.execute(
        "UPDATE templates SET name = ?2, body = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, template.name, json, now_ms],
    )?;
    if changed == 0 {
        return Err(AppError::new(
            ErrorCode::NotFound,
            crate::text!("template.not_found", id = id),
        ));
    }
    Ok(())
}

/// A new draft's row; its id.
fn insert(conn: &rusqlite::Connection, template: &Template, now_ms: i64) -> AppResult<String> {
    let json = serde_json::to_string(template).map_err(AppError::internal)?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    conn.execute(
        "INSERT INTO templates (id, name, body, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        params![id, template.name, json, now_ms],
    )?;
    Ok(id)
}

pub fn get(db: &Database, id: &str) -> AppResult<Draft> {
    let row = db
        .connection()
        .query_row(
            "SELECT id, body, created_at, updated_at FROM templates WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    match row {
        Some((id, json, c, u)) => row_to_draft(id, json, c, u),
        None => Err(AppError::new(
            ErrorCode::NotFound,
            crate::text!("template.not_found", id = id),
        )),
    }
}

/// Every local template, most recently edited first.
pub fn list(db: &Database) -> AppResult<Vec<Draft>> {
    let conn = db.connection();
    let mut stmt = conn.prepare(
        "SELECT id, body, created_at, updated_at FROM templates ORDER BY updated_at DESC, id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, json, c, u) = row?;
        out.push(row_to_draft(id, json, c, u)?);
    }
    Ok(out)
}

pub fn delete(db: &Database, id: &str) -> AppResult<()> {
    let n = db.write(|tx| {
        let n = tx.execute("DELETE FROM templates WHERE id = ?1", [id])?;
        super::library::forget_submissions(tx, id)?;
        Ok(n)
    })?;
    if n == 0 {
        return Err(AppError::new(
            ErrorCode::NotFound,
            crate::text!("template.not_found", id = id),
        ));
    }
    Ok(())
}

/// Copies a template, every translation of it, under a free name: `name_copy`, `name_copy_2`…
/// in one transaction, the main language still first; returns the copy of the translation `id`.
pub fn duplicate(db: &Database, id: &str, now_ms: i64) -> AppResult<Draft> {
    // Read and written in one transaction (the database's one connection): a rename, a
    // deletion or another duplicate cannot come in between.
    let copy_of_id = db.write(|conn| {
        let original = get(db, id)?;
        let sources = translations_of(db, &original)?;
        let taken: Vec<String> = list(db)?.into_iter().map(|d| d.template.name).collect();
        let base = sanitize_name(&format!("{}_copy", original.template.name)).0;
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        let mut copy_of_id = String::new();
        for (made, source) in (now_ms..).zip(&sources) {
            let copy = Template {
                name: name.clone(),
                ..source.template.clone()
            };
            let new_id = insert(conn, &copy, made)?;
            if source.id == original.id {
                copy_of_id = new_id;
            }
        }
        Ok(copy_of_id)
    })?;
    get(db, &copy_of_id)
}

/// The translations of `draft`'s template, itself among them; an unnamed draft is only itself
/// (unnamed drafts are not translations of one another).
pub fn translations_of(db: &Database, draft: &Draft) -> AppResult<Vec<Draft>> {
    if draft.template.name.is_empty() {
        return Ok(vec![draft.clone()]);
    }
    translations(db, &draft.template.name)
}

/// The translations of a template: every local template named `name`, the first made first
/// (its main language).
pub fn translations(db: &Database, name: &str) -> AppResult<Vec<Draft>> {
    let conn = db.connection();
    let mut stmt = conn.prepare(
        "SELECT id, body, created_at, updated_at FROM templates WHERE name = ?1 ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map([name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, json, c, u) = row?;
        out.push(row_to_draft(id, json, c, u)?);
    }
    Ok(out)
}

/// A language code as Meta writes it (`en-us` → `en_US`); one Meta does not have is refused
/// at the `language` field, saying what to write.
pub fn meta_language(input: &str) -> AppResult<String> {
    if input.trim().is_empty() {
        return Ok(String::new());
    }
    super::translations::meta_code(input)
        .map(str::to_string)
        .ok_or_else(|| {
            AppError::invalid_field(
                "language",
                crate::text!("translation.unknown_language", value = input.trim()),
            )
        })
}

/// A translation's values against the template's other translations: the first difference
/// refused at the `body` field.
fn check_values(t: &Template, others: &[Draft]) -> AppResult<()> {
    let Some(main) = others.iter().find(|d| d.template.language != t.language) else {
        return Ok(());
    };
    match super::translations::value_differences(t, &main.template)
        .into_iter()
        .next()
    {
        Some(problem) => Err(AppError::invalid_field("body", problem)),
        None => Ok(()),
    }
}

/// A template's translations as the designer shows them, side by side, and what differs
/// between their values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct TranslationSet {
    /// The first made first.
    pub translations: Vec<TranslationView>,
    /// Values a translation lacks or adds against the first, languages given twice.
    pub problems: Vec<crate::text::Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct TranslationView {
    pub draft: Draft,
    pub check: super::TemplateCheck,
}

impl Workspace {
    /// Saves a template as the local template of its name and language: the translation in
    /// that language is added, or updated when there is one — how the command line names
    /// templates, by their file's name and language. A language Meta does not have, or values
    /// that differ from the other translations', are refused, nothing saved.
    pub fn save_template_by_name(&self, t: &Template) -> AppResult<Draft> {
        if t.name.trim().is_empty() {
            return Err(AppError::invalid_field(
                "name",
                crate::text!("template.no_name"),
            ));
        }
        let t = Template {
            language: meta_language(&t.language)?,
            ..t.clone()
        };
        let group = translations(&self.db(), &t.name)?;
        let mut same = group.iter().filter(|d| d.template.language == t.language);
        let existing = match (same.next(), same.next()) {
            (_, Some(_)) => {
                return Err(AppError::invalid_field(
                    "language",
                    crate::text!("translation.twice", name = t.name, language = t.language),
                ))
            }
            (found, None) => found.map(|d| d.id.clone()),
        };
        check_values(&t, &group)?;
        self.save_template(existing.as_deref(), &t)
    }

    /// Adds a translation to a template: a copy of it in `language` (then translated in the
    /// designer). A language Meta does not have, or one the template has, is refused.
    pub fn add_translation(&self, id: &str, language: &str) -> AppResult<Draft> {
        let draft = get(&self.db(), id)?;
        let language = meta_language(language)?;
        if language.is_empty() {
            return Err(AppError::invalid_field(
                "language",
                crate::text!("translation.unknown_language", value = ""),
            ));
        }
        let group = translations_of(&self.db(), &draft)?;
        if group.iter().any(|d| d.template.language == language) {
            return Err(AppError::invalid_field(
                "language",
                crate::text!(
                    "translation.exists",
                    name = draft.template.name,
                    language = language
                ),
            ));
        }
        let copy = Template {
            language,
            ..draft.template
        };
        self.save_template(None, &copy)
    }

    /// The translations of the template `id` belongs to, each with its problems and previews.
    pub fn template_translations(&self, id: &str) -> AppResult<TranslationSet> {
        let draft = get(&self.db(), id)?;
        let group = translations_of(&self.db(), &draft)?;
        let mut problems = Vec::new();
        if let Some(main) = group.first() {
            for (i, d) in group.iter().enumerate().skip(1) {
                if group[..i]
                    .iter()
                    .any(|o| o.template.language == d.template.language)
                {
                    problems.push(crate::text!(
                        "translation.twice",
                        name = d.template.name,
                        language = d.template.language
                    ));
                    continue;
                }
                problems.extend(super::translations::value_differences(
                    &d.template,
                    &main.template,
                ));
            }
        }
        Ok(TranslationSet {
            translations: group
                .into_iter()
                .map(|d| TranslationView {
                    check: super::check(&d.template),
                    draft: d,
                })
                .collect(),
            problems,
        })
    }

    pub fn save_template(
        &self,
        id: Option<&str>,
        t: &crate::template::Template,
    ) -> AppResult<crate::template::drafts::Draft> {
        crate::template::drafts::save(&self.db(), id, t, self.now_ms())
    }

    /// [`Workspace::save_template`], renaming `translations` with it in one transaction.
    pub fn save_template_renaming(
        &self,
        id: Option<&str>,
        t: &crate::template::Template,
        translations: &[String],
    ) -> AppResult<crate::template::drafts::Draft> {
        crate::template::drafts::save_renaming(&self.db(), id, t, translations, self.now_ms())
    }

    pub fn delete_template(&self, id: &str) -> AppResult<()> {
        crate::template::drafts::delete(&self.db(), id)
    }

    pub fn duplicate_template(&self, id: &str) -> AppResult<crate::template::drafts::Draft> {
        crate::template::drafts::duplicate(&self.db(), id, self.now_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(tmp: &tempfile::TempDir) -> Database {
        Database::open(&tmp.path().join("t.sqlite3")).unwrap()
    }

    #[test]
    fn save_update_list_duplicate_delete() {
        let tmp = tempfile::tempdir().unwrap();
        let db = db(&tmp);
        let t = Template {
            name: "order_shipped".into(),
            body: "Hi {{Ann}}".into(),
            ..Template::default()
        };
        let d = save(&db, None, &t, 1000).unwrap();
        assert_eq!(d.created_at, "1000");
        let edited = Template {
            body: "Hello {{Ann}}, welcome".into(),
            ..t.clone()
        };
        let d2 = save(&db, Some(&d.id), &edited, 2000).unwrap();
        assert_eq!(
            (d2.created_at.as_str(), d2.updated_at.as_str()),
            ("1000", "2000"),
            "creation time kept"
        );
        assert_eq!(d2.template.body, "Hello {{Ann}}, welcome");
        let c1 = duplicate(&db, &d.id, 3000).unwrap();
        let c2 = duplicate(&db, &d.id, 4000).unwrap();
        assert_eq!(c1.template.name, "order_shipped_copy");
        assert_eq!(c2.template.name, "order_shipped_copy_2");
        let names: Vec<String> = list(&db)
            .unwrap()
            .into_iter()
            .map(|d| d.template.name)
            .collect();
        assert_eq!(
            names,
            [
                "order_shipped_copy_2",
                "order_shipped_copy",
                "order_shipped"
            ],
            "most recent first"
        );
        delete(&db, &c1.id).unwrap();
        assert_eq!(delete(&db, &c1.id).unwrap_err().code, ErrorCode::NotFound);
        assert_eq!(
            save(&db, Some("nope"), &t, 5).unwrap_err().code,
            ErrorCode::NotFound
        );
    }

    #[test]
    fn a_duplicate_copies_every_translation_main_language_first() {
        let tmp = tempfile::tempdir().unwrap();
        let db = db(&tmp);
        let of = |language: &str, body: &str| Template {
            name: "parcel".into(),
            language: language.into(),
            body: body.into(),
            ..Template::default()
        };
        save(&db, None, &of("en_US", "Hi {{Ann}}"), 1000).unwrap();
        let fr = save(&db, None, &of("fr", "Bonjour {{Ann}}"), 2000).unwrap();
        save(&db, None, &of("es", "Hola {{Ann}}"), 3000).unwrap();
        save(
            &db,
            None,
            &Template {
                name: "other".into(),
                ..of("de", "Hallo")
            },
            3500,
        )
        .unwrap();

        // Duplicated from its French row: the copy is the whole template, and the French copy is
        // what the designer opens.
        let copy = duplicate(&db, &fr.id, 4000).unwrap();
        assert_eq!(
            (copy.template.name.as_str(), copy.template.language.as_str()),
            ("parcel_copy", "fr")
        );
        let copied: Vec<(String, String)> = translations(&db, "parcel_copy")
            .unwrap()
            .into_iter()
            .map(|d| (d.template.language, d.template.body))
            .collect();
        assert_eq!(
            copied,
            [
                ("en_US".to_string(), "Hi {{Ann}}".to_string()),
                ("fr".to_string(), "Bonjour {{Ann}}".to_string()),
                ("es".to_string(), "Hola {{Ann}}".to_string()),
            ],
            "every translation, the main language still first"
        );
        assert_eq!(
            translations(&db, "parcel").unwrap().len(),
            3,
            "original kept"
        );
        assert_eq!(list(&db).unwrap().len(), 7, "nothing else copied");

        // Unnamed drafts are not one another's translations: each is copied, and grouped, alone.
        let blank = |body: &str| Template {
            name: String::new(),
            ..of("en_US", body)
        };
        let first = save(&db, None, &blank("one"), 5000).unwrap();
        save(&db, None, &blank("two"), 6000).unwrap();
        assert_eq!(
            translations_of(&db, &first)
                .unwrap()
                .into_iter()
                .map(|d| d.id)
                .collect::<Vec<_>>(),
            vec![first.id.clone()]
        );
        let copy = duplicate(&db, &first.id, 7000).unwrap();
        assert_eq!(copy.template.name, "_copy");
        assert_eq!(translations(&db, "_copy").unwrap().len(), 1);
    }

    #[test]
    fn a_rename_takes_the_translations_along_all_or_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let db = db(&tmp);
        let of = |language: &str| Template {
            name: "renewal".into(),
            language: language.into(),
            body: "Hi".into(),
            ..Template::default()
        };
        let en = save(&db, None, &of("en_US"), 1000).unwrap();
        let fr = save(&db, None, &of("fr"), 2000).unwrap();
        let de = save(&db, None, &of("de"), 3000).unwrap();
        let names = |db: &Database| -> Vec<String> {
            [&en.id, &fr.id, &de.id]
                .iter()
                .map(|id| get(db, id).unwrap().template.name)
                .collect()
        };

        // One translation's row unreadable: nothing renamed, not even the one saved.
        db.write(|conn| {
            conn.execute("UPDATE templates SET body = '{' WHERE id = ?1", [&de.id])?;
            Ok(())
        })
        .unwrap();
        let renamed = Template {
            name: "renewal_2026".into(),
            ..of("en_US")
        };
        let members = [fr.id.clone(), de.id.clone(), "gone".to_string()];
        let err = save_renaming(&db, Some(&en.id), &renamed, &members, 4000).unwrap_err();
        assert_eq!(err.code, ErrorCode::Storage);
        let kept: Vec<String> = [&en.id, &fr.id]
            .iter()
            .map(|id| get(&db, id).unwrap().template.name)
            .collect();
        assert_eq!(kept, ["renewal", "renewal"], "nothing renamed");

        // Readable again: every translation renamed at once; a deleted one is left out.
        save(&db, Some(&de.id), &of("de"), 4500).unwrap();
        let d = save_renaming(&db, Some(&en.id), &renamed, &members, 5000).unwrap();
        assert_eq!(d.template.name, "renewal_2026");
        assert_eq!(names(&db), ["renewal_2026"; 3]);
        assert_eq!(
            translations(&db, "renewal_2026").unwrap()[1]
                .template
                .language,
            "fr"
        );
    }

    #[test]
    fn drafts_survive_a_restart_and_may_be_invalid() {
        let tmp = tempfile::tempdir().unwrap();
        let bad = Template {
            name: "Not Valid!".into(),
            body: "{{".into(),
            ..Template::default()
        };
        let id = save(&db(&tmp), None, &bad, 1).unwrap().id;
        let again = get(&db(&tmp), &id).unwrap();
        assert_eq!(
            again.template, bad,
            "saved as typed, even invalid: validation is separate"
        );
    }
}
