//! Business rules, independent of HTTP and of the storage technology.

mod error;
mod item;
mod pagination;

pub use error::Error;
pub use item::{Item, ItemInput, ItemService, NewItem};
pub use pagination::{Page, PageParams, Pagination};
pub(crate) use item::duplicate_name;
