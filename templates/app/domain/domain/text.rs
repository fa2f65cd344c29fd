//! The rules every text field of every input follows, so a string the storage would reject
//! never gets past the domain layer: trimmed, a bounded number of characters, no NUL
//! (PostgreSQL cannot store `\u0000` at all) and no other control character but tab and line
//! breaks (never meaningful in such fields; they forge log lines and terminal output).
//! Each message names the field, so the client knows what to fix.

use super::Error;

/// A trimmed text field of 1 to `max_chars` characters.
pub fn required(field: &str, value: &str, max_chars: usize) -> Result<String, Error> {
    let value = value.trim();
    let chars = value.chars().count();
    if chars == 0 || chars > max_chars {
        return Err(Error::Validation(format!(
            "{field} must be between 1 and {max_chars} characters"
        )));
    }
    allowed_characters(field, value)?;
    Ok(value.to_owned())
}

/// An optional trimmed text field of at most `max_chars` characters; absent or blank is `None`.
pub fn optional(
    field: &str,
    value: Option<&str>,
    max_chars: usize,
) -> Result<Option<String>, Error> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max_chars {
        return Err(Error::Validation(format!(
            "{field} must be at most {max_chars} characters"
        )));
    }
    allowed_characters(field, value)?;
    Ok(Some(value.to_owned()))
}

fn allowed_characters(field: &str, value: &str) -> Result<(), Error> {
    if value.contains('\0') {
        return Err(Error::Validation(format!(
            "{field} must not contain NUL characters (\\u0000)"
        )));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(Error::Validation(format!(
            "{field} must not contain control characters other than tab and line breaks"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<impl std::fmt::Debug, Error>) -> String {
        match result {
            Err(Error::Validation(message)) => message,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn trims_and_counts_characters() {
        assert_eq!(required("name", "  é ", 1).unwrap(), "é");
        assert_eq!(optional("note", Some("  "), 5).unwrap(), None);
        assert_eq!(optional("note", None, 5).unwrap(), None);
        assert_eq!(
            optional("note", Some("a\tb\r\nc"), 10).unwrap().as_deref(),
            Some("a\tb\r\nc")
        );
    }

    #[test]
    fn nul_and_control_characters_are_rejected_naming_the_field() {
        for bad in ["a\0b", "\0", "a\u{1b}[31m", "a\u{7f}", "a\u{85}b"] {
            assert!(
                message(required("name", bad, 100)).starts_with("name "),
                "{bad:?}"
            );
            assert!(
                message(optional("description", Some(bad), 100)).starts_with("description "),
                "{bad:?}"
            );
        }
        assert!(message(required("name", "a\0", 100)).contains("NUL"));
    }

    #[test]
    fn lengths_are_bounded() {
        assert!(message(required("name", "", 3)).starts_with("name must be between 1 and 3"));
        assert!(message(required("name", "abcd", 3)).contains("3 characters"));
        assert!(message(optional("description", Some("abcd"), 3)).starts_with("description"));
    }
}
