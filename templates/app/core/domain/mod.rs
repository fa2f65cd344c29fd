//! Business rules, independent of HTTP and of the storage technology.

mod error;
mod item;
mod pagination;
mod text;

pub use error::{BoxError, Error};
pub(crate) use item::duplicate_name;
pub use item::{DESCRIPTION_MAX_CHARS, Item, ItemInput, ItemService, NAME_MAX_CHARS, NewItem};
pub use pagination::{Page, PageParams, Pagination};
