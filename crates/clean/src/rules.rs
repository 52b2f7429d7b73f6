//! Rule files (`data/clean/*`): parsing into compiled patterns.

use regex::{Regex, RegexSet};

use gongwen_model::DocType;

/// Built-in rule files, embedded so tests never depend on the working directory.
pub mod builtin {
    /// Chrome patterns.
    pub const CHROME: &str = include_str!("../../../data/clean/chrome.txt");
    /// Doc-mill character table.
    pub const DOC_MILL: &str = include_str!("../../../data/clean/doc_mill.tsv");
    /// Document-type cues.
    pub const DOC_TYPE: &str = include_str!("../../../data/clean/doc_type.tsv");
    /// Official titles (speaker bylines).
    pub const TITLES: &str = include_str!("../../../data/clean/titles.txt");
    /// Title junk suffixes.
    pub const TITLE_JUNK: &str = include_str!("../../../data/clean/title_junk.txt");
}

/// A problem in a rule file: line number (1-based) and message.
pub type RuleProblem = (usize, String);

fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
}

/// Compiled chrome patterns.
#[derive(Debug)]
pub struct ChromeRules {
    /// Chrome at any length.
    pub any: RegexSet,
    /// Chrome on short lines.
    pub short: RegexSet,
    /// Related-section headings (barriers).
    pub tail: RegexSet,
}

/// Parses chrome files (`KIND<TAB>REGEX`); every problem is reported with its file index.
pub fn parse_chrome(files: &[&str]) -> Result<ChromeRules, Vec<(usize, RuleProblem)>> {
    let (mut any, mut short, mut tail) = (Vec::new(), Vec::new(), Vec::new());
    let mut problems = Vec::new();
    for (f, text) in files.iter().enumerate() {
        for (n, line) in data_lines(text) {
            let Some((kind, pattern)) = line.split_once('\t') else {
                problems.push((f, (n, format!("expected KIND<TAB>REGEX, got {line:?}"))));
                continue;
            };
            if let Err(e) = Regex::new(pattern) {
                problems.push((f, (n, format!("bad regex {pattern:?}: {e}"))));
                continue;
            }
            match kind.trim() {
                "any" => any.push(pattern.to_string()),
                "short" => short.push(pattern.to_string()),
                "tail" => tail.push(pattern.to_string()),
                other => {
                    problems.push((f, (n, format!("unknown kind {other:?} (any, short, tail)"))))
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let set = |v: Vec<String>| RegexSet::new(v).map_err(|e| vec![(0, (0, e.to_string()))]);
    Ok(ChromeRules {
        any: set(any)?,
        short: set(short)?,
        tail: set(tail)?,
    })
}

/// Where a document-type cue looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueScope {
    /// The extracted title.
    Title,
    /// The first paragraph.
    Opening,
    /// Lines above the main text.
    Header,
    /// First two and last two paragraphs.
    Edges,
    /// The publisher.
    Source,
}

/// One document-type rule.
#[derive(Debug)]
pub struct DocTypeRule {
    /// Type assigned when the rule matches.
    pub doc_type: DocType,
    /// Where it looks.
    pub scope: CueScope,
    /// What it looks for.
    pub pattern: Regex,
}

/// Parses `TYPE<TAB>SCOPE<TAB>REGEX` lines.
pub fn parse_doc_type(text: &str) -> Result<Vec<DocTypeRule>, Vec<RuleProblem>> {
    let mut rules = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in data_lines(text) {
        let cols: Vec<&str> = line.splitn(3, '\t').collect();
        let [t, s, p] = cols.as_slice() else {
            problems.push((
                n,
                format!("expected TYPE<TAB>SCOPE<TAB>REGEX, got {line:?}"),
            ));
            continue;
        };
        let doc_type = match t.trim() {
            "speech" => DocType::Speech,
            "news" => DocType::News,
            "report" => DocType::Report,
            "other" => DocType::Other,
            other => {
                problems.push((n, format!("unknown type {other:?}")));
                continue;
            }
        };
        let scope = match s.trim() {
            "title" => CueScope::Title,
            "opening" => CueScope::Opening,
            "header" => CueScope::Header,
            "edges" => CueScope::Edges,
            "source" => CueScope::Source,
            other => {
                problems.push((n, format!("unknown scope {other:?}")));
                continue;
            }
        };
        match Regex::new(p) {
            Ok(pattern) => rules.push(DocTypeRule {
                doc_type,
                scope,
                pattern,
            }),
            Err(e) => problems.push((n, format!("bad regex {p:?}: {e}"))),
        }
    }
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(problems)
    }
}

/// Title-junk patterns: (page_only, regex).
pub fn parse_title_junk(text: &str) -> Result<Vec<(bool, Regex)>, Vec<RuleProblem>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in data_lines(text) {
        let Some((scope, p)) = line.split_once('\t') else {
            problems.push((n, format!("expected SCOPE<TAB>REGEX, got {line:?}")));
            continue;
        };
        let page_only = match scope.trim() {
            "any" => false,
            "page" => true,
            other => {
                problems.push((n, format!("unknown scope {other:?} (any, page)")));
                continue;
            }
        };
        match Regex::new(p) {
            Ok(r) => out.push((page_only, r)),
            Err(e) => problems.push((n, format!("bad regex {p:?}: {e}"))),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Official titles, longest first.
pub fn parse_titles(text: &str) -> Vec<String> {
    let mut v: Vec<String> = data_lines(text)
        .map(|(_, l)| l.trim().to_string())
        .collect();
    v.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rule_files_parse() {
        let c = parse_chrome(&[builtin::CHROME]).expect("chrome.txt parses");
        assert!(c.any.len() > 5 && c.short.len() > 5 && !c.tail.is_empty());
        assert!(
            parse_doc_type(builtin::DOC_TYPE)
                .expect("doc_type.tsv parses")
                .len()
                >= 5
        );
        assert!(!parse_title_junk(builtin::TITLE_JUNK)
            .expect("title_junk.txt parses")
            .is_empty());
        assert!(parse_titles(builtin::TITLES).iter().any(|t| t == "书记"));
    }

    #[test]
    fn bad_rule_lines_are_reported_with_line_numbers() {
        let e = parse_chrome(&["any\t(\nweird\tx\nnotab\n"]).expect_err("bad file");
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].1 .0, 1);
    }
}
