//! Compiling a template without paying for its plain text.
//!
//! handlebars-rust parses raw text one character at a time (pest) and locates every element by
//! rescanning the source from its start, so most of a run went into text that holds no
//! Handlebars at all, and long templates cost in the square of their length. So:
//! - long runs of plain text are lifted out before parsing, each replaced by a short marker that
//!   keeps its line breaks (reported lines stay right), and put back into the compiled template.
//!   Whitespace control (`~`, standalone lines) only ever removes whitespace at the edges of a
//!   run and decides from the whitespace next to a tag, so a run is lifted from its first
//!   non-blank character to the end of its last non-blank line but one, and its edges stay;
//! - what remains (the skeleton) is compiled in pieces cut just after top-level markers, and the
//!   pieces are joined: the text on both sides of a cut belongs to one run, so the two halves of
//!   that run are joined back into one element.
//!
//! The result equals `Template::compile_with_name` (a test compares every embedded template);
//! whatever the scan cannot vouch for is compiled the plain way.

use handlebars::template::TemplateElement;
use handlebars::{Template, TemplateError};

/// Never appears in a template (checked); delimits a marker.
const MARK: char = '\u{1}';
/// Shorter runs cost less to parse than to lift.
const MIN_LIFT: usize = 16;
/// Pieces shorter than this cost more in per-parse overhead than their length saves.
const MIN_PIECE: usize = 128;

/// Compiles `source` as `Template::compile_with_name(source, name)` would.
///
/// # Errors
/// The error handlebars reports for `source` itself.
pub fn compile(source: &str, name: String) -> Result<Template, TemplateError> {
    if let Some(skeleton) = lift(source) {
        if let Some(template) = skeleton.compile(&name) {
            return Ok(template);
        }
    }
    Template::compile_with_name(source, name)
}

/// A source with its long raw runs replaced by markers.
struct Skeleton<'a> {
    text: String,
    /// The lifted runs, by marker number.
    runs: Vec<&'a str>,
    /// Offsets in `text` where it may be cut: just after a marker outside every block.
    cuts: Vec<usize>,
}

impl Skeleton<'_> {
    fn compile(&self, name: &str) -> Option<Template> {
        let mut whole = Template::default();
        whole.name = Some(name.to_owned());
        let mut start = 0;
        let mut lines = 0;
        for end in self.pieces() {
            let piece = &self.text[start..end];
            let mut part = Template::compile(piece).ok()?;
            shift_lines(&mut part, lines);
            join(&mut whole, part);
            lines += piece.matches('\n').count();
            start = end;
        }
        (restore(&mut whole, &self.runs) == self.runs.len()).then_some(whole)
    }

    /// Where the pieces end: at cuts at least [`MIN_PIECE`] apart, and at the end.
    fn pieces(&self) -> Vec<usize> {
        let mut ends = Vec::new();
        let mut start = 0;
        for &cut in &self.cuts {
            if cut - start >= MIN_PIECE && self.text.len() - cut >= MIN_PIECE {
                ends.push(cut);
                start = cut;
            }
        }
        ends.push(self.text.len());
        ends
    }
}

/// The source with long raw runs replaced by markers; `None` when nothing is worth lifting or
/// the source holds constructs the scan does not model.
fn lift(source: &str) -> Option<Skeleton<'_>> {
    if source.contains(MARK) || source.contains("\\{{") {
        return None;
    }
    let mut skeleton = Skeleton { text: String::with_capacity(source.len() / 2), runs: Vec::new(), cuts: Vec::new() };
    let mut depth = 0;
    let mut pos = 0;
    while pos < source.len() {
        let (raw_end, next) = match source[pos..].find("{{") {
            Some(offset) => (pos + offset, pos + offset + mustache_len(&source[pos + offset..])?),
            None => (source.len(), source.len()),
        };
        if let Some(cut) = skeleton.lift_run(&source[pos..raw_end]) {
            if depth == 0 {
                skeleton.cuts.push(cut);
            }
        }
        let tag = &source[raw_end..next];
        if !tag.is_empty() {
            depth = nesting(tag, depth)?;
            skeleton.text.push_str(tag);
        }
        pos = next;
    }
    (!skeleton.runs.is_empty() && depth == 0).then_some(skeleton)
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

/// The block depth after `tag`: `{{#…}}` and `{{^…}}` open a block, `{{/…}}` closes one;
/// `None` for a close without an open.
fn nesting(tag: &str, depth: usize) -> Option<usize> {
    if tag.starts_with("{{{") {
        return Some(depth); // a raw block (whole) or a triple-stash expression
    }
    let body = tag.strip_prefix("{{")?.trim_start_matches('~');
    let is_else = |rest: &str| rest.trim_matches(|c: char| c == '~' || c == '}' || c.is_whitespace()).is_empty();
    match body.chars().next() {
        Some('#') => Some(depth + 1),
        Some('/') => depth.checked_sub(1),
        Some('^') if !is_else(&body[1..]) => Some(depth + 1),
        _ => Some(depth),
    }
}

impl<'a> Skeleton<'a> {
    /// Copies the raw text `run` into the skeleton, lifting what lies between its leading
    /// whitespace and its last line when that is long enough; returns the offset just after the
    /// marker. The last line stays: the columns of the tag after it are recorded.
    fn lift_run(&mut self, run: &'a str) -> Option<usize> {
        let start = run.len() - run.trim_start().len();
        let end = run.rfind('\n').map_or(0, |last| run[..last].trim_end().len());
        if end <= start || end - start < MIN_LIFT {
            self.text.push_str(run);
            return None;
        }
        let lifted = &run[start..end];
        self.text.push_str(&run[..start]);
        self.text.push(MARK);
        self.text.extend(std::iter::repeat_n('\n', lifted.matches('\n').count()));
        self.text.push_str(&self.runs.len().to_string());
        self.text.push(MARK);
        let cut = self.text.len();
        self.text.push_str(&run[end..]);
        self.runs.push(lifted);
        Some(cut)
    }
}

/// Appends the elements of `part` to `whole`, joining the two halves of a run cut in two.
fn join(whole: &mut Template, part: Template) {
    let mut elements = part.elements.into_iter().zip(part.mapping).peekable();
    if let (Some(TemplateElement::RawString(tail)), Some((TemplateElement::RawString(head), _))) =
        (whole.elements.last_mut(), elements.peek())
    {
        tail.push_str(head);
        elements.next();
    }
    for (element, mapping) in elements {
        whole.elements.push(element);
        whole.mapping.push(mapping);
    }
}

/// Moves every element of `template`, nested ones too, `lines` lines down.
fn shift_lines(template: &mut Template, lines: usize) {
    if lines == 0 {
        return;
    }
    for mapping in &mut template.mapping {
        mapping.0 += lines;
    }
    for element in &mut template.elements {
        for inner in nested(element) {
            shift_lines(inner, lines);
        }
    }
}

/// The templates of a block element.
fn nested(element: &mut TemplateElement) -> Vec<&mut Template> {
    match element {
        TemplateElement::HelperBlock(helper) => {
            [&mut helper.template, &mut helper.inverse].into_iter().flatten().collect()
        }
        TemplateElement::DecoratorBlock(decorator) | TemplateElement::PartialBlock(decorator) => {
            decorator.template.iter_mut().collect()
        }
        _ => Vec::new(),
    }
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
            block => {
                for inner in nested(block) {
                    restored += restore(inner, lifted);
                }
            }
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
        let skeleton = lift(&source).unwrap();
        assert_eq!(skeleton.runs, [LONG]);
        assert_eq!(skeleton.text, "{{#if x}}  \u{1}\n0\u{1}  \n last {{/if}}\n");
        assert!(skeleton.cuts.is_empty(), "inside a block");
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
        let (mut templates, mut lifted, mut cut) = (0, 0, 0);
        let mut stack = vec![&crate::plan::TEMPLATES];
        while let Some(dir) = stack.pop() {
            stack.extend(dir.dirs());
            for file in dir.files().filter(|f| f.path().extension().is_some_and(|e| e == "hbs")) {
                let source = file.contents_utf8().unwrap();
                let name = file.path().display().to_string();
                let plain = Template::compile_with_name(source, name.clone()).unwrap();
                templates += 1;
                // The fast path itself, not the fallback, must give the same template.
                if let Some(skeleton) = lift(source) {
                    lifted += 1;
                    cut += usize::from(skeleton.pieces().len() > 1);
                    assert_eq!(skeleton.compile(&name), Some(plain), "{name}");
                }
            }
        }
        assert!(lifted * 10 >= templates * 9, "only {lifted} of {templates} templates were lifted");
        assert!(cut >= 5, "only {cut} templates were compiled in pieces");
    }
}
