//! Compiling a template without paying for its plain text.
//!
//! handlebars-rust parses plain text one character at a time (pest, some 400 instructions a
//! character) and locates every element by rescanning the source from its start, so nearly all
//! of a run went into text that holds no Handlebars at all. So, before parsing:
//! - plain text is lifted out and replaced by short markers. Whitespace control (`~`, standalone
//!   lines) only removes whitespace at the edges of a run of text and decides from the
//!   whitespace next to a tag, so what is lifted starts and ends at non-blank characters: from
//!   a run's first one to the end of its last non-blank line but one, and its last line's text;
//! - simple expressions (`{{project.kebab}}`) are replaced by markers too and compiled once per
//!   distinct text, where handlebars' state between tags allows it (see [`lift`]);
//! - what remains (the skeleton) is compiled in pieces, cut after top-level markers; the two
//!   halves of the text element a cut splits are joined again.
//!
//! Then the markers are put back, and the lines and columns handlebars recorded in the skeleton
//! are turned into the source's. The result equals `Template::compile_with_name`: a test
//! compares every embedded template and thousands of random ones; whatever the scan cannot vouch
//! for is compiled the plain way.

use std::collections::HashMap;

use handlebars::template::{TemplateElement, TemplateMapping};
use handlebars::{Template, TemplateError};

/// Never appears in a template (checked); delimits the marker of a lifted run.
const MARK: char = '\u{1}';
/// Never appears in a template (checked); delimits the marker of a lifted expression.
const TAG: char = '\u{2}';
/// Shorter runs cost less to parse than to lift.
const MIN_LIFT: usize = 8;
/// Pieces shorter than this cost more in per-parse overhead than their length saves.
const MIN_PIECE: usize = 128;

/// Compiles `source` as `Template::compile_with_name(source, name)` would.
///
/// # Errors
/// The error handlebars reports for `source` itself.
pub fn compile(source: &str, name: String) -> Result<Template, TemplateError> {
    if let Some(skeleton) = lift(source).filter(|s| !s.runs.is_empty() || !s.tags.is_empty())
        && let Some(template) = skeleton.compile(&name)
    {
        return Ok(template);
    }
    Template::compile_with_name(source, name)
}

/// A source with its long raw runs and its simple expressions replaced by markers.
struct Skeleton<'a> {
    text: String,
    /// The lifted runs, by marker number.
    runs: Vec<&'a str>,
    /// The lifted expressions, by marker number.
    tags: Vec<Tag<'a>>,
    /// Offsets in `text` where it may be cut: just after a marker outside every block.
    cuts: Vec<usize>,
    /// Per line of the source, where a marker stands on it in the skeleton (column) and how
    /// many characters shorter than what it replaces it is.
    shrunk: HashMap<usize, Vec<(usize, isize)>>,
    /// Skeleton lines holding a marker that replaced line breaks, and how many; their sum.
    removed_lines: Vec<(usize, usize)>,
    removed: usize,
    /// Where in the source the scan is, as a line and column.
    cursor: Cursor,
}

/// A simple expression such as `{{project.kebab}}`: compiled once per distinct text, it is
/// replaced by a short marker; the columns handlebars records after it on its line are fixed.
struct Tag<'a> {
    source: &'a str,
    /// Line and column of the tag, and of the text after it (as handlebars records them).
    at: (usize, usize),
    after: (usize, usize),
    /// Whether plain text (even blank) follows it before the next tag: handlebars makes an
    /// element of it, possibly an empty one once whitespace control has trimmed it. (Text before
    /// it always has an element: see [`lift`].)
    text_after: bool,
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
        let mut expressions = HashMap::new();
        for tag in &self.tags {
            if !expressions.contains_key(tag.source) {
                let compiled = Template::compile(tag.source).ok()?.elements.into_iter().next()?;
                expressions.insert(tag.source, compiled);
            }
        }
        let restored = restore(&mut whole, self, &expressions)?;
        (restored == self.runs.len() + self.tags.len()).then_some(whole)
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

/// The source with long raw runs and simple expressions replaced by markers; `None` when the
/// source holds constructs the scan does not model.
fn lift(source: &str) -> Option<Skeleton<'_>> {
    if source.contains(MARK) || source.contains(TAG) || source.contains('\r') || source.contains("\\{{") {
        return None;
    }
    let mut skeleton = Skeleton {
        text: String::with_capacity(source.len() / 2),
        runs: Vec::new(),
        tags: Vec::new(),
        cuts: Vec::new(),
        shrunk: HashMap::new(),
        removed_lines: Vec::new(),
        removed: 0,
        cursor: Cursor { offset: 0, line: 1, column: 1 },
    };
    let mut depth = 0;
    let (mut previous_simple, mut previous_omits) = (false, false);
    let mut pos = 0;
    while pos < source.len() {
        let (raw_end, next) = match source[pos..].find("{{") {
            Some(offset) => (pos + offset, pos + offset + mustache_len(&source[pos + offset..])?),
            None => (source.len(), source.len()),
        };
        let run = &source[pos..raw_end];
        if let Some(last) = skeleton.tags.last_mut().filter(|_| previous_simple) {
            // Where handlebars says that text starts: after the whitespace its grammar skips
            // between elements (so all-blank text starts at the next tag, or the end).
            let start = run.find(|c| !matches!(c, ' ' | '\t' | '\n' | '\r')).map_or(raw_end, |at| pos + at);
            last.text_after = !run.is_empty();
            last.after = skeleton.cursor.advance(source, start);
        }
        if let Some(cut) = skeleton.lift_run(source, pos, raw_end) {
            // A piece starts with no `~}}` pending: cut only where none is.
            if depth == 0 && !previous_omits {
                skeleton.cuts.push(cut);
            }
        }
        let tag = &source[raw_end..next];
        // handlebars carries two states from tag to tag that a lifted expression would no longer
        // reset: the line trimming a standalone tag leaves to the next text (reset by text) and
        // the `~}}` of the last tag (comments leave it; blank text after it makes no element).
        // An expression is lifted only where neither is pending.
        let simple = !run.is_empty() && !previous_omits && is_simple(tag);
        if simple {
            let at = skeleton.cursor.advance(source, raw_end);
            skeleton.marker(TAG, skeleton.tags.len(), at, Some(tag));
            skeleton.tags.push(Tag { source: tag, at, after: at, text_after: false });
        } else if !tag.is_empty() {
            depth = nesting(tag, depth)?;
            skeleton.text.push_str(tag);
        }
        previous_simple = simple;
        // Comments leave the `~}}` of the tag before them in force.
        if !tag.trim_start_matches("{{").trim_start_matches('~').starts_with('!') {
            previous_omits = tag.trim_end_matches('}').ends_with('~');
        }
        pos = next;
    }
    (depth == 0).then_some(skeleton)
}

/// A `{{path}}` expression without parameters or whitespace control.
fn is_simple(tag: &str) -> bool {
    let Some(path) = tag.strip_prefix("{{").and_then(|t| t.strip_suffix("}}")) else { return false };
    path != "else"
        && path.starts_with(|c: char| c.is_ascii_alphanumeric() || matches!(c, '@' | '_' | '.'))
        && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"._@/-".contains(&b))
}

/// Line and column (1-based, in characters, as handlebars reports them) of an offset.
struct Cursor {
    offset: usize,
    line: usize,
    column: usize,
}

impl Cursor {
    /// Moves to `offset` (not before the current one) and returns its line and column.
    fn advance(&mut self, source: &str, offset: usize) -> (usize, usize) {
        if offset < self.offset {
            *self = Cursor { offset: 0, line: 1, column: 1 };
        }
        let passed = &source[self.offset..offset];
        match passed.rfind('\n') {
            Some(last) => {
                self.line += passed.bytes().filter(|&b| b == b'\n').count();
                self.column = 1 + passed[last + 1..].chars().count();
            }
            None => self.column += passed.chars().count(),
        }
        self.offset = offset;
        (self.line, self.column)
    }
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
    /// Copies the raw text `source[pos..end]` into the skeleton, lifting two regions of it when
    /// long enough: from its first non-blank character to the end of its last non-blank line but
    /// one, and the last line from its first non-blank character to its last. Returns the offset
    /// just after the first region's marker, where the skeleton may be cut.
    fn lift_run(&mut self, source: &'a str, pos: usize, end: usize) -> Option<usize> {
        let run = &source[pos..end];
        let start = run.len() - run.trim_start().len();
        let last_break = run.rfind('\n');
        let mut copied = 0;
        let mut cut = None;
        let lines_end = last_break.map_or(0, |last| run[..last].trim_end().len());
        if lines_end > start && lines_end - start >= MIN_LIFT {
            self.text.push_str(&run[..start]);
            let at = self.cursor.advance(source, pos + start);
            let lifted = &run[start..lines_end];
            let breaks = lifted.matches('\n').count();
            if breaks > 0 {
                self.removed_lines.push((at.0 - self.removed, breaks));
                self.removed += breaks;
            }
            self.marker(MARK, self.runs.len(), at, None);
            self.runs.push(lifted);
            cut = Some(self.text.len());
            copied = lines_end;
        }
        let line_start = last_break.map_or(0, |last| last + 1).max(copied);
        let line_text = run[line_start..].trim_start();
        let text_start = run.len() - line_text.len();
        let text_end = text_start + line_text.trim_end().len();
        if text_end > text_start && text_end - text_start >= MIN_LIFT {
            self.text.push_str(&run[copied..text_start]);
            let at = self.cursor.advance(source, pos + text_start);
            let lifted = &run[text_start..text_end];
            self.marker(MARK, self.runs.len(), at, Some(lifted));
            self.runs.push(lifted);
            copied = text_end;
        }
        self.text.push_str(&run[copied..]);
        cut
    }

    /// Writes the marker of lifted run or expression number `index`, which replaces `replaced`
    /// on one line (from `at`, in the source): handlebars will record the columns of what follows
    /// on that line off by the difference. (A run's lines up to its last are replaced whole:
    /// nothing follows on their line.)
    fn marker(&mut self, kind: char, index: usize, at: (usize, usize), replaced: Option<&str>) {
        let marker = format!("{kind}{index}{kind}");
        if let Some(replaced) = replaced {
            let signed = |n: usize| isize::try_from(n).unwrap_or(isize::MAX);
            let line = self.shrunk.entry(at.0).or_default();
            let column = signed(at.1) - line.iter().map(|&(_, by)| by).sum::<isize>();
            let by = signed(replaced.chars().count()) - signed(marker.len());
            line.push((usize::try_from(column).unwrap_or_default(), by));
        }
        self.text.push_str(&marker);
    }

    /// Turns a line and column handlebars recorded in the skeleton into the source's.
    fn to_source(&self, mapping: &mut TemplateMapping) {
        mapping.0 +=
            self.removed_lines.iter().take_while(|&&(line, _)| line < mapping.0).map(|&(_, n)| n).sum::<usize>();
        if let Some(markers) = self.shrunk.get(&mapping.0) {
            let column = mapping.1;
            let by: isize = markers.iter().filter(|&&(at, _)| at < column).map(|&(_, by)| by).sum();
            mapping.1 = mapping.1.saturating_add_signed(by);
        }
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

/// Puts the lifted runs and expressions back; returns how many markers it replaced, or `None`
/// if what it finds does not fit what was lifted.
fn restore(
    template: &mut Template,
    skeleton: &Skeleton<'_>,
    expressions: &HashMap<&str, TemplateElement>,
) -> Option<usize> {
    let mut restored = 0;
    let elements = std::mem::take(&mut template.elements);
    let mappings = std::mem::take(&mut template.mapping);
    for (mut element, mut mapping) in elements.into_iter().zip(mappings) {
        skeleton.to_source(&mut mapping);
        match &mut element {
            TemplateElement::RawString(text) if text.contains(TAG) => {
                let (head, tags) = tokens(text, &skeleton.tags)?;
                restored += push_text(template, head, true, mapping.clone(), &skeleton.runs)?;
                for (index, after) in tags {
                    let tag = skeleton.tags.get(index)?;
                    template.elements.push(expressions.get(tag.source)?.clone());
                    template.mapping.push(moved(&mapping, tag.at));
                    restored +=
                        1 + push_text(template, after, tag.text_after, moved(&mapping, tag.after), &skeleton.runs)?;
                }
                continue;
            }
            TemplateElement::RawString(text) if text.contains(MARK) => {
                let (whole, count) = expand(text, &skeleton.runs)?;
                *text = whole;
                restored += count;
            }
            block => {
                for inner in nested(block) {
                    restored += restore(inner, skeleton, expressions)?;
                }
            }
        }
        template.elements.push(element);
        template.mapping.push(mapping);
    }
    Some(restored)
}

/// Splits a raw string holding expression markers: the text before the first, then each
/// marker's expression number and the text after it.
fn tokens<'t>(text: &'t str, tags: &[Tag<'_>]) -> Option<(&'t str, Vec<(usize, &'t str)>)> {
    let (head, mut rest) = text.split_once(TAG)?;
    let mut found = Vec::new();
    loop {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let index: usize = rest[..digits].parse().ok()?;
        tags.get(index)?;
        rest = rest[digits..].strip_prefix(TAG)?;
        let Some((after, more)) = rest.split_once(TAG) else {
            found.push((index, rest));
            return Some((head, found));
        };
        found.push((index, after));
        rest = more;
    }
}

/// Appends the plain text between expressions if the source had some there (handlebars keeps
/// an element even for text whitespace control emptied); returns the runs it restored.
fn push_text(
    template: &mut Template,
    text: &str,
    present: bool,
    mapping: TemplateMapping,
    runs: &[&str],
) -> Option<usize> {
    if !present {
        return text.is_empty().then_some(0);
    }
    let (text, count) = expand(text, runs)?;
    template.elements.push(TemplateElement::RawString(text));
    template.mapping.push(mapping);
    Some(count)
}

/// `mapping` moved to another line and column (its type cannot be built outside handlebars).
fn moved(mapping: &TemplateMapping, (line, column): (usize, usize)) -> TemplateMapping {
    let mut moved = mapping.clone();
    moved.0 = line;
    moved.1 = column;
    moved
}

/// `text` with each marker replaced by its run, and the number of markers.
fn expand(text: &str, lifted: &[&str]) -> Option<(String, usize)> {
    let mut out = String::with_capacity(text.len());
    let mut count = 0;
    let mut parts = text.split(MARK);
    out.push_str(parts.next()?);
    while let Some(marker) = parts.next() {
        let index: usize = marker.parse().ok()?;
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
        assert_eq!(skeleton.text, "{{#if x}}  \u{1}0\u{1}  \n last {{/if}}\n");
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
            format!(
                "{{{{a}}}}{{{{b}}}}\n  {{{{c.d}}}}  \n{{{{~e}}}} {{{{#if x}}}}{{{{f}}}}{{{{/if}}}}\n{LONG}\n{{{{g}}}}"
            ),
            "  {{a}}  ".to_owned(),
            "{{a}}".to_owned(),
            "x{{a}}\n\n".to_owned(),
            "{{#if x~}}  {{a}}  {{~/if}} {{@root.b}}\t{{#each z}}{{../c}}\n\t{{this}}{{else}}{{d}}{{/each}}".to_owned(),
            format!(
                "{{{{#each s}}}}\n  {{{{this.kebab}}}}: {LONG} {{{{@index}}}}\n{{{{else}}}}\n {{{{x}}}}\n{{{{/each}}}}\n"
            ),
        ] {
            same(&source);
        }
    }

    /// Random templates from the pieces whitespace control cares about: every one that
    /// handlebars accepts must come out the same. `FUZZ_N=100000 FUZZ_SEED=7` searches wider.
    #[test]
    fn random_templates_compile_exactly_as_handlebars_does() {
        const TEXT: [&str; 14] = [
            " ",
            "  ",
            "\n",
            "\t",
            "\n\n  ",
            "x",
            " y \n",
            LONG,
            "a: ",
            "\n  - ",
            "}",
            "{",
            "a whole line without a break",
            " é — ü, ñ! ",
        ];
        const TAGS: [&str; 11] = [
            "{{a}}",
            "{{b.c}}",
            "{{~a}}",
            "{{a~}}",
            "{{@root.d}}",
            "{{{e}}}",
            "{{! note }}",
            "{{!-- c --}}",
            "{{this}}",
            "{{{{raw}}}}{{a}} ${{ b }}\n{{{{/raw}}}}",
            "{{lookup a \"b\"}}",
        ];
        fn fill(out: &mut String, depth: usize, next: &mut dyn FnMut(usize) -> usize) {
            for _ in 0..next(8) {
                match next(10) {
                    0..=3 => out.push_str(TEXT[next(TEXT.len())]),
                    4..=6 => out.push_str(TAGS[next(TAGS.len())]),
                    _ if depth < 3 => {
                        let (open, close) =
                            [("{{#if x}}", "{{/if}}"), ("{{#each s~}}", "{{~/each}}"), ("{{~#if y~}}", "{{/if~}}")]
                                [next(3)];
                        out.push_str(open);
                        fill(out, depth + 1, next);
                        if next(3) == 0 {
                            out.push_str(["{{else}}", "{{~else~}}", "\n{{else}}\n"][next(3)]);
                            fill(out, depth + 1, next);
                        }
                        out.push_str(close);
                    }
                    _ => out.push('\n'),
                }
            }
        }
        let mut seed = std::env::var("FUZZ_SEED").map_or(0x2545_f491_4f6c_dd1d_u64, |n| n.parse().unwrap());
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % n as u64).unwrap()
        };
        let (mut compared, runs) = (0, std::env::var("FUZZ_N").map_or(3000, |n| n.parse().unwrap()));
        for _ in 0..runs {
            let mut source = String::new();
            fill(&mut source, 0, &mut next);
            if let Ok(plain) = Template::compile_with_name(&source, "t".into()) {
                compared += 1;
                if let Some(skeleton) = lift(&source) {
                    assert_eq!(skeleton.compile("t"), Some(plain), "{source:?}");
                }
            }
        }
        assert!(compared * 3 > runs * 2, "only {compared} of {runs} random sources were valid templates");
    }

    #[test]
    fn markers_longer_than_what_they_replace_still_map_to_the_right_columns() {
        // From the thousandth expression on, `{{a}}` is shorter than its marker.
        let source: String = (0..1100).map(|i| if i % 7 == 0 { "x{{a}}\n" } else { "x{{a}}" }).collect();
        let plain = Template::compile_with_name(&source, "t".into()).unwrap();
        let skeleton = lift(&source).unwrap();
        assert_eq!(skeleton.tags.len(), 1100);
        assert_eq!(skeleton.compile("t"), Some(plain));
    }

    #[test]
    fn a_long_template_is_compiled_in_pieces_that_join_to_the_whole() {
        let source = format!("{LONG}\n{{{{#if a}}}}x{{{{/if}}}}\n{LONG}\n").repeat(20);
        let skeleton = lift(&source).unwrap();
        assert!(skeleton.pieces().len() > 1, "one piece only");
        assert_eq!(skeleton.compile("t"), Some(Template::compile_with_name(&source, "t".into()).unwrap()));
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
        let plain = lift("tiny\n").unwrap();
        assert!(plain.runs.is_empty() && plain.tags.is_empty());
    }

    #[test]
    fn every_embedded_template_compiles_exactly_as_handlebars_does() {
        let mut stack = vec![&crate::plan::TEMPLATES];
        while let Some(dir) = stack.pop() {
            stack.extend(dir.dirs());
            for file in dir.files().filter(|f| f.path().extension().is_some_and(|e| e == "hbs")) {
                let source = file.contents_utf8().unwrap();
                let name = file.path().display().to_string();
                let plain = Template::compile_with_name(source, name.clone()).unwrap();
                // The fast path itself, not the fallback, must give the same template; it may
                // decline only what the scan does not model (escaped `\{{`, as workflows have).
                match lift(source) {
                    Some(skeleton) => assert_eq!(skeleton.compile(&name), Some(plain), "{name}"),
                    None => assert!(source.contains("\\{{"), "{name} was not lifted"),
                }
            }
        }
    }
}
