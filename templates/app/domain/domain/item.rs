use std::future::Future;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Error, Page, Pagination, text};

pub const NAME_MAX_CHARS: usize = 100;
pub const DESCRIPTION_MAX_CHARS: usize = 2000;

/// The example resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The body of a create or a (full) update, as the client sent it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// An [`ItemInput`] that passed validation: the only thing the repository accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    name: String,
    description: Option<String>,
}

impl NewItem {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
}

impl TryFrom<ItemInput> for NewItem {
    type Error = Error;

    /// Trims both fields; a blank description counts as none. Every text field goes through
    /// [`text`]: bounded, and free of what the database cannot store.
    fn try_from(input: ItemInput) -> Result<Self, Error> {
        Ok(Self {
            name: text::required("name", &input.name, NAME_MAX_CHARS)?,
            description: text::optional(
                "description",
                input.description.as_deref(),
                DESCRIPTION_MAX_CHARS,
            )?,
        })
    }
}

/// What the use cases need from storage. The domain owns this port and the repository
/// implements it, so the domain never depends on how or where items are stored.
pub trait ItemStore: Clone + Send + Sync + 'static {
    fn insert(&self, item: &NewItem) -> impl Future<Output = Result<Item, Error>> + Send;
    fn find(&self, id: i64) -> impl Future<Output = Result<Option<Item>, Error>> + Send;
    fn list(
        &self,
        pagination: Pagination,
    ) -> impl Future<Output = Result<Page<Item>, Error>> + Send;
    /// The updated item, or `None` when there is no item `id`.
    fn update(
        &self,
        id: i64,
        item: &NewItem,
    ) -> impl Future<Output = Result<Option<Item>, Error>> + Send;
    /// Whether there was an item `id` to delete.
    fn delete(&self, id: i64) -> impl Future<Output = Result<bool, Error>> + Send;
}

/// The use cases for items: validation first, then storage.
#[derive(Debug, Clone)]
pub struct ItemService<S> {
    repository: S,
}

impl<S: ItemStore> ItemService<S> {
    pub fn new(repository: S) -> Self {
        Self { repository }
    }

    pub async fn create(&self, input: ItemInput) -> Result<Item, Error> {
        let item = NewItem::try_from(input)?;
        self.repository.insert(&item).await
    }

    pub async fn get(&self, id: i64) -> Result<Item, Error> {
        self.repository.find(id).await?.ok_or_else(|| not_found(id))
    }

    pub async fn list(&self, pagination: Pagination) -> Result<Page<Item>, Error> {
        self.repository.list(pagination).await
    }

    pub async fn update(&self, id: i64, input: ItemInput) -> Result<Item, Error> {
        let item = NewItem::try_from(input)?;
        self.repository
            .update(id, &item)
            .await?
            .ok_or_else(|| not_found(id))
    }

    pub async fn delete(&self, id: i64) -> Result<(), Error> {
        if self.repository.delete(id).await? {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }
}

fn not_found(id: i64) -> Error {
    Error::NotFound {
        resource: "item",
        id,
    }
}

/// The message for a name that is already taken, shared by every repository.
pub fn duplicate_name(name: &str) -> Error {
    Error::Conflict(format!("an item named {name:?} already exists"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, description: Option<&str>) -> ItemInput {
        ItemInput {
            name: name.to_owned(),
            description: description.map(str::to_owned),
        }
    }

    #[test]
    fn trims_and_accepts_valid_input() {
        let item = NewItem::try_from(input("  widget ", Some(" blue "))).unwrap();
        assert_eq!(item.name(), "widget");
        assert_eq!(item.description(), Some("blue"));
    }

    #[test]
    fn blank_description_becomes_none() {
        let item = NewItem::try_from(input("widget", Some("   "))).unwrap();
        assert_eq!(item.description(), None);
    }

    #[test]
    fn name_length_is_counted_in_characters() {
        assert!(NewItem::try_from(input(&"é".repeat(NAME_MAX_CHARS), None)).is_ok());
        for bad in ["", "   ", &"x".repeat(NAME_MAX_CHARS + 1)] {
            let error = NewItem::try_from(input(bad, None)).unwrap_err();
            assert!(matches!(error, Error::Validation(_)), "{bad:?}");
        }
    }

    #[test]
    fn long_description_is_rejected() {
        let long = "d".repeat(DESCRIPTION_MAX_CHARS + 1);
        assert!(matches!(
            NewItem::try_from(input("widget", Some(&long))),
            Err(Error::Validation(_))
        ));
    }

    #[test]
    fn nul_in_any_text_field_is_a_validation_error() {
        for (name, description) in [("a\0b", None), ("widget", Some("x\0y"))] {
            let error = NewItem::try_from(input(name, description)).unwrap_err();
            let field = if name.contains('\0') {
                "name"
            } else {
                "description"
            };
            assert!(
                matches!(&error, Error::Validation(m) if m.starts_with(field)),
                "{error:?}"
            );
        }
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let parsed = serde_json::from_str::<ItemInput>(r#"{"name":"a","colour":"red"}"#);
        assert!(parsed.is_err());
    }
}
