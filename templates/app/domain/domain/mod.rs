//! Business rules, independent of HTTP and of the storage technology: the storage implements
//! the ports defined here ([`ItemStore`]), so nothing in this module imports another layer.

mod error;
mod item;
mod pagination;
mod text;

pub use error::{BoxError, Error};
pub use item::{
    DESCRIPTION_MAX_CHARS, Item, ItemInput, ItemService, ItemStore, NAME_MAX_CHARS, NewItem,
    duplicate_name,
};
pub use pagination::{Page, PageParams, Pagination};
