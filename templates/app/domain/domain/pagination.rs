use serde::{Deserialize, Serialize};

use super::Error;

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

    /// Rows to skip.
    pub fn offset(self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.per_page)
    }

    /// Rows to return.
    pub fn limit(self) -> u64 {
        u64::from(self.per_page)
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

    #[test]
    fn defaults_to_first_page_of_twenty() {
        let p = Pagination::new(None, None).unwrap();
        assert_eq!((p.page, p.per_page, p.offset(), p.limit()), (1, 20, 0, 20));
    }

    #[test]
    fn offset_skips_previous_pages() {
        assert_eq!(Pagination::new(Some(3), Some(10)).unwrap().offset(), 20);
        let last = Pagination::new(Some(u32::MAX), Some(100)).unwrap();
        assert_eq!(last.offset(), u64::from(u32::MAX - 1) * 100);
    }

    #[test]
    fn rejects_out_of_range_values() {
        assert!(matches!(
            Pagination::new(Some(0), None),
            Err(Error::Validation(_))
        ));
        assert!(matches!(
            Pagination::new(None, Some(0)),
            Err(Error::Validation(_))
        ));
        assert!(matches!(
            Pagination::new(None, Some(101)),
            Err(Error::Validation(_))
        ));
        assert!(Pagination::new(None, Some(100)).is_ok());
    }
}
