//! The domain vocabulary every service shares: its error type, pagination, and the validated
//! input of the example resource (a named record with an optional description).

use serde::{Deserialize, Serialize};

mod text;

/// Everything a domain operation can fail with. The HTTP layer maps each variant to a status.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input breaks a rule; the message is meant for the client.
    #[error("{0}")]
    Validation(String),
    #[error("{resource} {id} not found")]
    NotFound { resource: &'static str, id: i64 },
    /// A uniqueness rule; the message is meant for the client.
    #[error("{0}")]
    Conflict(String),
    /// The storage cannot be reached right now (database down, pool exhausted).
    #[error("storage unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or an unexpected storage failure. Never shown to clients.
    #[error("storage failure")]
    Internal(#[source] BoxError),
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub const NAME_MAX_CHARS: usize = 100;
pub const DESCRIPTION_MAX_CHARS: usize = 2000;

/// The body of a create or a (full) update, as the client sent it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordInput {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// A [`RecordInput`] that passed validation: the only thing repositories accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    name: String,
    description: Option<String>,
}

impl NewRecord {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
}

impl TryFrom<RecordInput> for NewRecord {
    type Error = Error;

    /// Trims both fields; a blank description counts as none. Every text field goes through
    /// [`text`]: bounded, and free of what the database cannot store.
    fn try_from(input: RecordInput) -> Result<Self, Error> {
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

/// A validated page request: `page` starts at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pagination {
    pub page: u32,
    pub per_page: u32,
}

/// One page of results and the total number of matching rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub pagination: Pagination,
}

/// Page parameters as they arrive in a query string.
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl Pagination {
    pub const DEFAULT_PER_PAGE: u32 = 20;
    pub const MAX_PER_PAGE: u32 = 100;

    pub fn new(page: Option<u32>, per_page: Option<u32>) -> Result<Self, Error> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(Self::DEFAULT_PER_PAGE);
        if page == 0 {
            return Err(Error::Validation("page must be 1 or greater".to_owned()));
        }
        if !(1..=Self::MAX_PER_PAGE).contains(&per_page) {
            return Err(Error::Validation(format!(
                "per_page must be between 1 and {}",
                Self::MAX_PER_PAGE
            )));
        }
        Ok(Self { page, per_page })
    }

    /// Rows to skip, as a SQL bind value.
    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    /// Rows to return, as a SQL bind value.
    pub fn limit(self) -> i64 {
        i64::from(self.per_page)
    }
}

impl TryFrom<PageParams> for Pagination {
    type Error = Error;

    fn try_from(params: PageParams) -> Result<Self, Error> {
        Self::new(params.page, params.per_page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, description: Option<&str>) -> RecordInput {
        RecordInput {
            name: name.to_owned(),
            description: description.map(str::to_owned),
        }
    }

    #[test]
    fn trims_and_accepts_valid_input() {
        let record = NewRecord::try_from(input("  widget ", Some(" blue "))).unwrap();
        assert_eq!(record.name(), "widget");
        assert_eq!(record.description(), Some("blue"));
        let blank = NewRecord::try_from(input("widget", Some("   "))).unwrap();
        assert_eq!(blank.description(), None);
    }

    #[test]
    fn name_length_is_counted_in_characters() {
        assert!(NewRecord::try_from(input(&"é".repeat(NAME_MAX_CHARS), None)).is_ok());
        for bad in ["", "   ", &"x".repeat(NAME_MAX_CHARS + 1)] {
            let error = NewRecord::try_from(input(bad, None)).unwrap_err();
            assert!(matches!(error, Error::Validation(_)), "{bad:?}");
        }
    }

    #[test]
    fn nul_in_any_text_field_is_a_validation_error() {
        for (name, description) in [("a\0b", None), ("widget", Some("x\0y"))] {
            let error = NewRecord::try_from(input(name, description)).unwrap_err();
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
        assert!(serde_json::from_str::<RecordInput>(r#"{"name":"a","colour":"red"}"#).is_err());
    }

    #[test]
    fn pagination_bounds() {
        let p = Pagination::new(Some(3), Some(10)).unwrap();
        assert_eq!((p.offset(), p.limit()), (20, 10));
        assert!(Pagination::new(Some(0), None).is_err());
        assert!(Pagination::new(None, Some(0)).is_err());
        assert!(Pagination::new(None, Some(101)).is_err());
    }
}
