//! The example resource's rows as sqlx reads them, and their conversion to the domain's
//! [`Item`]: one definition for every repository on sqlx.

use time::OffsetDateTime;

use crate::domain::Item;

/// A row of the items table.
#[derive(Debug, sqlx::FromRow)]
pub struct ItemRow {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A row of a page: the item and the number of items in all pages.
#[derive(Debug, sqlx::FromRow)]
pub struct CountedRow {
    pub total: i64,
    #[sqlx(flatten)]
    pub item: ItemRow,
}

impl From<ItemRow> for Item {
    fn from(row: ItemRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            description: row.description,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}
