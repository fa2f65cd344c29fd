//! How a command that fails tells its user: one `error:` line, on which each cause is said once,
//! and a `help:` line when there is something to do about it. Never a Debug dump: every `main`
//! prints its error through [`render`].

use std::error::Error;
use std::fmt;

/// A failure of a command, with what to do next.
#[derive(Debug)]
pub struct Failure {
    message: String,
    help: Option<String>,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            help: None,
        }
    }

    /// What the user can do about it: the `help:` line.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for Failure {}

/// What to print for `error`: `error: …` with its causes (each said once: many errors repeat
/// their source in their own message), then `help: …` when it is a [`Failure`] with help.
pub fn render(error: &(dyn Error + 'static)) -> String {
    let mut line = format!("error: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !line.contains(&cause_text) {
            line.push_str(": ");
            line.push_str(&cause_text);
        }
        source = cause.source();
    }
    if let Some(help) = error
        .downcast_ref::<Failure>()
        .and_then(|f| f.help.as_deref())
    {
        line.push_str("\nhelp: ");
        line.push_str(help);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(std::io::Error);

    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "while executing migrations: {}", self.0)
        }
    }

    impl Error for Wrapper {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_cause_already_said_is_not_repeated() {
        let error = Wrapper(std::io::Error::other("connection refused"));
        assert_eq!(
            render(&error),
            "error: while executing migrations: connection refused"
        );
    }

    #[test]
    fn a_failure_says_what_to_do() {
        let failure = Failure::new("cannot connect").help("start it");
        assert_eq!(render(&failure), "error: cannot connect\nhelp: start it");
    }
}
