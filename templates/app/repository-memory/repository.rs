//! In-memory storage: the same API as a database-backed repository, with no database. Data
//! lives as long as the process (for a function: its warm instance or container), so it is a
//! demo store, not persistence; swap this module for a real database when you need one.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use time::OffsetDateTime;

use crate::config::DatabaseConfig;
use crate::domain::{Error, Item, ItemStore, NewItem, Page, Pagination};

#[derive(Debug, Clone, Default)]
pub struct Repository {
    store: Arc<RwLock<Store>>,
}

#[derive(Debug, Default)]
struct Store {
    last_id: i64,
    items: BTreeMap<i64, Item>,
    /// The unique index on `name`.
    ids_by_name: BTreeMap<String, i64>,
}

impl Repository {
    pub fn new(_config: &DatabaseConfig) -> Self {
        Self::default()
    }

    /// Always ready: there is nothing to reach.
    #[allow(clippy::unused_async)] // same signature as the database-backed variants
    pub async fn ping(&self) -> Result<(), Error> {
        Ok(())
    }

    /// Always current: there is no schema.
    #[allow(clippy::unused_async)] // same signature as the database-backed variants
    pub async fn schema(&self) -> Result<(), std::convert::Infallible> {
        Ok(())
    }
}

impl ItemStore for Repository {
    async fn insert(&self, item: &NewItem) -> Result<Item, Error> {
        let mut store = self.store.write().unwrap_or_else(PoisonError::into_inner);
        if store.ids_by_name.contains_key(item.name()) {
            return Err(crate::domain::duplicate_name(item.name()));
        }
        store.last_id += 1;
        let now = OffsetDateTime::now_utc();
        let created = Item {
            id: store.last_id,
            name: item.name().to_owned(),
            description: item.description().map(str::to_owned),
            created_at: now,
            updated_at: now,
        };
        store.ids_by_name.insert(created.name.clone(), created.id);
        store.items.insert(created.id, created.clone());
        Ok(created)
    }

    async fn find(&self, id: i64) -> Result<Option<Item>, Error> {
        let store = self.store.read().unwrap_or_else(PoisonError::into_inner);
        Ok(store.items.get(&id).cloned())
    }

    async fn list(&self, pagination: Pagination) -> Result<Page<Item>, Error> {
        let store = self.store.read().unwrap_or_else(PoisonError::into_inner);
        let skip = usize::try_from(pagination.offset()).unwrap_or(usize::MAX);
        let take = usize::try_from(pagination.limit()).unwrap_or(usize::MAX);
        Ok(Page {
            items: store
                .items
                .values()
                .skip(skip)
                .take(take)
                .cloned()
                .collect(),
            total: store.items.len() as u64,
            pagination,
        })
    }

    async fn update(&self, id: i64, item: &NewItem) -> Result<Option<Item>, Error> {
        let mut store = self.store.write().unwrap_or_else(PoisonError::into_inner);
        if store
            .ids_by_name
            .get(item.name())
            .is_some_and(|owner| *owner != id)
        {
            return Err(crate::domain::duplicate_name(item.name()));
        }
        let Some(existing) = store.items.get_mut(&id) else {
            return Ok(None);
        };
        let old_name = std::mem::replace(&mut existing.name, item.name().to_owned());
        existing.description = item.description().map(str::to_owned);
        existing.updated_at = OffsetDateTime::now_utc();
        let updated = existing.clone();
        store.ids_by_name.remove(&old_name);
        store.ids_by_name.insert(updated.name.clone(), id);
        Ok(Some(updated))
    }

    async fn delete(&self, id: i64) -> Result<bool, Error> {
        let mut store = self.store.write().unwrap_or_else(PoisonError::into_inner);
        let Some(removed) = store.items.remove(&id) else {
            return Ok(false);
        };
        store.ids_by_name.remove(&removed.name);
        Ok(true)
    }
}
