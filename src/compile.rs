//! Compiling a template without paying for its plain text.
//!
//! handlebars-rust parses raw text one character at a time (pest) and locates every element by
//! rescanning the source from its start, so most of a run went into text that holds no
//! Handlebars at all. Long runs of such text are lifted out before parsing — each replaced by a
//! short marker that keeps its line breaks, so reported lines stay right — and put back into the
//! compiled template. Only text that whitespace control (`~`, standalone lines) can never reach is
//! lifted: from the first non-blank character after a raw run's first line break to the last one
//! before its last. The result equals `Template::compile_with_name` (a test compares every
//! embedded template); whatever the lifting cannot vouch for is compiled the plain way.

use handlebars::template::TemplateElement;
use handlebars::{Template, TemplateError};

/// Never appears in a template (checked); delimits a marker.
const MARK: char = '\u{1}';
/// Shorter runs cost less to parse than to lift.
const MIN_LIFT: usize = 16;

/// Compiles `source` as `Template::compile_with_name(source, name)` would.
///
/// # Errors
/// The error handlebars reports for `source` itself.
pub fn compile(source: &str, name: String) -> Result<Template, TemplateError> {
    if let Some((skeleton, lifted)) = lift(source) {
        if let Ok(mut template) = Template::compile_with_name(&skeleton, name.clone()) {
            if restore(&mut template, &lifted) == lifted.len() {
                return Ok(template);
            }
        }
    }
    Template::compile_with_name(source, name)
}

/// The source with long raw runs replaced by markers, and the runs; `None` when nothing is worth
/// lifting or the source holds constructs the scan does not model.
fn lift(source: &str) -> Option<(String, Vec<&str>)> {
    if source.contains(MARK) || source.contains("\\{{") {
        return None;
    }
    let mut skeleton = String::with_capacity(source.len() / 2);
    let mut lifted = Vec::new();
    let mut pos = 0;
    while pos < source.len() {
        let (raw_end, next) = match source[pos..].find("{{") {
            Some(offset) => (pos + offset, pos + offset + mustache_len(&source[pos + offset..])?),
            None => (source.len(), source.len()),
        };
        lift_run(&source[pos..raw_end], &mut skeleton, &mut lifted);
        skeleton.push_str(&source[raw_end..next]);
        pos = next;
    }
    (!lifted.is_empty()).then_some((skeleton, lifted))
}

/// Length of the mustache (or raw block) `rest` starts with.
fn mustache_len(rest: &str) -> Option<usize> {
    let end = |open: usize, close: &str| rest[open..].find(close).map(|at| open + at + close.len());
    if rest.starts_with("{{{{") {
        let closing = rest.find("{{{{/")?;
        end(closing, "}}}}")
    } else if rest.starts_with("{{!--") {
        end(5, "--}}")
    } else if rest.starts_with("{{{") {
        end(3, "}}}")
    } else {
        end(2, "}}")
    }
}

/// Copies the raw text `run` into the skeleton, lifting what lies between its leading whitespace
/// and its last line when that is long enough. The last line stays: the columns of the tag after
/// it are recorded.
fn lift_run<'a>(run: &'a str, skeleton: &mut String, lifted: &mut Vec<&'a str>) {
    let start = run.len() - run.trim_start().len();
    let end = run.rfind('\n').map_or(0, |last| run[..last].trim_end().len());
    if end <= start || end - start < MIN_LIFT {
        skeleton.push_str(run);
        return;
    }
    let text = &run[start..end];
    skeleton.push_str(&run[..start]);
    skeleton.push(MARK);
    skeleton.extend(std::iter::repeat_n('\n', text.matches('\n').count()));
    skeleton.push_str(&lifted.len().to_string());
    skeleton.push(MARK);
    skeleton.push_str(&run[end..]);
    lifted.push(text);
}

/// Puts the lifted runs back; returns how many markers it replaced.
fn restore(template: &mut Template, lifted: &[&str]) -> usize {
    let mut restored = 0;
    for element in &mut template.elements {
        match element {
            TemplateElement::RawString(text) if text.contains(MARK) => {
                if let Some((whole, count)) = expand(text, lifted) {
                    *text = whole;
                    restored += count;
                }
            }
            TemplateElement::HelperBlock(helper) => {
                for inner in [&mut helper.template, &mut helper.inverse].into_iter().flatten() {
                    restored += restore(inner, lifted);
                }
            }
            TemplateElement::DecoratorBlock(decorator) | TemplateElement::PartialBlock(decorator) => {
                if let Some(inner) = &mut decorator.template {
                    restored += restore(inner, lifted);
                }
            }
            _ => {}
        }
    }
    restored
}

/// `text` with each marker replaced by its run, and the number of markers.
fn expand(text: &str, lifted: &[&str]) -> Option<(String, usize)> {
    let mut out = String::with_capacity(text.len());
    let mut count = 0;
    let mut parts = text.split(MARK);
    out.push_str(parts.next()?);
    while let Some(marker) = parts.next() {
        let index: usize = marker.trim_start_matches('\n').parse().ok()?;
        out.push_str(lifted.get(index)?);
        out.push_str(parts.next()?);
        count += 1;
    }
    Some((out, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(source: &str) {
        let plain = Template::compile_with_name(source, "t".into()).unwrap();
        assert_eq!(compile(source, "t".into()).unwrap(), plain, "{source:?}");
    }

    const LONG: &str = "a line of plain text that is long enough to be lifted out\nand another one, also plain";

    #[test]
    fn long_runs_are_lifted_and_restored() {
        let source = format!("{{{{#if x}}}}  {LONG}  \n last {{{{/if}}}}\n");
        let (skeleton, lifted) = lift(&source).unwrap();
        assert_eq!(lifted, [LONG]);
        assert_eq!(skeleton, "{{#if x}}  \u{1}\n0\u{1}  \n last {{/if}}\n");
        assert!(skeleton.len() < source.len());
        same(&source);
    }

    #[test]
    fn whitespace_control_and_standalone_lines_are_unaffected() {
        for source in [
            format!(
                "x\n  {LONG}  \n{{{{~y~}}}}\n\n {LONG}\n\n{{{{~#if z}}}}\n{LONG}\n{{{{else~}}}}\n\n{LONG}\n  {{{{/if}}}}"
            ),
            format!(
                "{{{{! c }}}}\n{LONG}\n{{{{!-- a\n{LONG}\n--}}}}\n{LONG}\n{{{{{{{{raw}}}}}}}}\n{LONG}\n{{{{x}}}}\n{{{{{{{{/raw}}}}}}}}\n"
            ),
            format!("{{{{{{x}}}}}}\n{LONG}\n{{{{#each y as |v|}}}}\n{LONG}\n{{{{v}}}}\n{LONG}\n{{{{/each}}}}\n{LONG}"),
            format!("{LONG}\n{LONG}\n{LONG}"),
        ] {
            same(&source);
        }
    }

    #[test]
    fn errors_are_reported_against_the_real_source() {
        let source = format!("{LONG}\n{LONG}\n{LONG}\n{{{{#if x}}}}\n");
        let plain = Template::compile_with_name(&source, "t".into()).unwrap_err();
        assert_eq!(compile(&source, "t".into()).unwrap_err().to_string(), plain.to_string());
    }

    #[test]
    fn sources_the_scan_does_not_model_are_compiled_plainly() {
        assert!(lift(&format!("\\{{{{x}}}}\n{LONG}\n{LONG}\n")).is_none());
        assert!(lift(&format!("{MARK}\n{LONG}\n{LONG}\n")).is_none());
        assert!(lift("short\ntext\n").is_none());
    }

    #[test]
    fn every_embedded_template_compiles_exactly_as_handlebars_does() {
        let mut lifted_somewhere = false;
        let mut stack = vec![&crate::plan::TEMPLATES];
        while let Some(dir) = stack.pop() {
            stack.extend(dir.dirs());
            for file in dir.files().filter(|f| f.path().extension().is_some_and(|e| e == "hbs")) {
                let source = file.contents_utf8().unwrap();
                lifted_somewhere |= lift(source).is_some();
                same(source);
            }
        }
        assert!(lifted_somewhere);
    }
}
