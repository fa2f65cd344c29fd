//! The rules every text field of every input follows, so a string the storage would reject
//! never gets past the domain layer: trimmed, a bounded number of characters, no NUL
//! (PostgreSQL cannot store `\u0000` at all) and no other control character but tab and line
//! breaks (never meaningful in such fields; they forge log lines and terminal output).
//! Each message names the field, so the client knows what to fix.

use super::Error;

/// A text field: its name in messages and the most characters it holds.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub max_chars: usize,
}

impl Field {
    /// The value trimmed, of 1 to `max_chars` characters.
    pub fn required(self, value: String) -> Result<String, Error> {
        let trimmed = value.trim();
        let chars = trimmed.chars().count();
        if chars == 0 || chars > self.max_chars {
            let rule = format!("must be between 1 and {} characters", self.max_chars);
            return Err(self.invalid(&rule));
        }
        self.allowed_characters(trimmed)?;
        // Most values need no trimming: they keep their allocation.
        Ok(if trimmed.len() == value.len() {
            value
        } else {
            trimmed.to_owned()
        })
    }

    /// The value trimmed, of at most `max_chars` characters; absent or blank is `None`.
    pub fn optional(self, value: Option<String>) -> Result<Option<String>, Error> {
        match value {
            Some(value) if !value.trim().is_empty() => self.required(value).map(Some),
            _ => Ok(None),
        }
    }

    fn allowed_characters(self, value: &str) -> Result<(), Error> {
        if value.contains('\0') {
            return Err(self.invalid("must not contain NUL characters (\\u0000)"));
        }
        if value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            return Err(
                self.invalid("must not contain control characters other than tab and line breaks")
            );
        }
        Ok(())
    }

    fn invalid(self, rule: &str) -> Error {
        Error::Validation(format!("{} {rule}", self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: Field = Field {
        name: "name",
        max_chars: 3,
    };
    const NOTE: Field = Field {
        name: "note",
        max_chars: 10,
    };

    fn message(result: Result<impl std::fmt::Debug, Error>) -> String {
        match result {
            Err(Error::Validation(message)) => message,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn trims_and_counts_characters() {
        assert_eq!(NAME.required("  é ".into()).unwrap(), "é");
        assert_eq!(NOTE.optional(Some("  ".into())).unwrap(), None);
        assert_eq!(NOTE.optional(None).unwrap(), None);
        assert_eq!(
            NOTE.optional(Some("a\tb\r\nc".into())).unwrap().as_deref(),
            Some("a\tb\r\nc")
        );
    }

    #[test]
    fn nul_and_control_characters_are_rejected_naming_the_field() {
        for bad in ["a\0b", "\0", "a\u{1b}[", "a\u{7f}", "a\u{85}b"] {
            assert!(
                message(NAME.required(bad.into())).starts_with("name "),
                "{bad:?}"
            );
            assert!(
                message(NOTE.optional(Some(bad.into()))).starts_with("note "),
                "{bad:?}"
            );
        }
        assert!(message(NAME.required("a\0".into())).contains("NUL"));
    }

    #[test]
    fn lengths_are_bounded() {
        let short = NAME.required(String::new());
        assert!(message(short).starts_with("name must be between 1 and 3"));
        assert!(message(NAME.required("abcd".into())).contains("3 characters"));
        let long = NOTE.optional(Some("a".repeat(11)));
        assert!(message(long).starts_with("note must be between 1 and 10"));
    }
}
