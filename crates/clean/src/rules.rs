//! Rule files (`data/clean/*`): parsing into compiled patterns.

use regex::Regex;
#[cfg(any(test, doc))]
use regex::RegexSet;

use gongwen_model::DocType;

use crate::gate::{LiteralFilter, LiteralGate};

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
    pub any: PatternSet,
    /// Chrome on short lines.
    pub short: PatternSet,
    /// Related-section headings (barriers).
    pub tail: PatternSet,
}

/// A set of patterns asked one question: does any of them match the line? (what
/// [`RegexSet::is_match`] answers, with the same syntax and semantics).
///
/// One lazy DFA over all the patterns, run over every byte of the line, with the regex
/// crate's literal prefilter turned off. On Chinese text the prefilter (an Aho-Corasick
/// automaton over the patterns' prefix literals: 若, 本站, 成为, 微信…) finds a candidate every
/// few characters, and each candidate restarts the DFA: the pair cost about twice the
/// instructions per byte of the DFA alone (measured on corpus-8mb, docs/clean.md).
///
/// In front of the DFA, a [`LiteralGate`] derived from the patterns rejects the lines that
/// hold none of the literals every match needs (most prose lines for the `any` set), with
/// one independent table lookup per character.
#[derive(Debug)]
pub struct PatternSet {
    regex: regex_automata::meta::Regex,
    /// `None` when some pattern has no required literal.
    gate: Option<LiteralGate>,
}

impl PatternSet {
    /// Compiles `patterns` (each already checked to be a valid `regex` pattern).
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<PatternSet, String> {
        use regex_automata::{meta, MatchKind};
        let regex = meta::Builder::new()
            .configure(
                meta::Config::new()
                    .match_kind(MatchKind::All)
                    .auto_prefilter(false),
            )
            .build_many(patterns)
            .map_err(|e| e.to_string())?;
        Ok(PatternSet {
            regex,
            gate: LiteralGate::new(patterns),
        })
    }

    /// True when some pattern matches somewhere in `line`.
    pub fn is_match(&self, line: &str) -> bool {
        self.gate.as_ref().is_none_or(|g| g.may_match(line)) && self.regex.is_match(line)
    }

    /// The set's literal gate (`None`: some pattern has no required literal).
    pub fn gate(&self) -> Option<&LiteralGate> {
        self.gate.as_ref()
    }

    /// Whether some pattern matches `line`, for a line whose gate is known to let it through
    /// (see `Extractor::extract`): the DFA alone.
    pub fn is_match_past_gate(&self, line: &str) -> bool {
        self.regex.is_match(line)
    }

    /// Whether the set has a literal gate.
    #[cfg(test)]
    pub fn has_gate(&self) -> bool {
        self.gate.is_some()
    }

    /// Number of patterns.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.regex.pattern_len()
    }
}

/// A [`Regex`] behind the [`LiteralFilter`] of its required literals: a text holding none of
/// them is answered "no match" without running the regex. The answers are the regex's own.
/// For patterns run over many lines or long paragraphs (document-type cues, the 来源 label).
#[derive(Debug, Clone)]
pub struct GatedRegex {
    regex: Regex,
    /// `None`: no usable required literal, the regex runs on every text.
    filter: Option<LiteralFilter>,
}

impl GatedRegex {
    /// Compiles `pattern` and derives its filter.
    pub fn new(pattern: &str) -> Result<GatedRegex, regex::Error> {
        Ok(GatedRegex {
            regex: Regex::new(pattern)?,
            filter: LiteralFilter::new(pattern),
        })
    }

    fn may_match(&self, text: &str) -> bool {
        self.filter.as_ref().is_none_or(|f| f.may_match(text))
    }

    /// [`Regex::is_match`].
    pub fn is_match(&self, text: &str) -> bool {
        self.may_match(text) && self.regex.is_match(text)
    }

    /// [`Regex::captures`].
    pub fn captures<'t>(&self, text: &'t str) -> Option<regex::Captures<'t>> {
        if self.may_match(text) {
            self.regex.captures(text)
        } else {
            None
        }
    }

    /// Whether the regex has a filter.
    #[cfg(test)]
    pub fn has_filter(&self) -> bool {
        self.filter.is_some()
    }
}

/// Parses chrome files (`KIND<TAB>REGEX`); every problem is reported with its file index.
///
/// A pattern is checked by parsing it (the syntax errors `Regex::new` reports, word for
/// word); it is compiled once, in its kind's [`PatternSet`]. Only when a set does not compile
/// (a pattern too big for the compiler's limits) are its patterns compiled one by one, to
/// name the line.
pub fn parse_chrome(files: &[&str]) -> Result<ChromeRules, Vec<(usize, RuleProblem)>> {
    // per kind: (file index, line number, pattern)
    let (mut any, mut short, mut tail) = (Vec::new(), Vec::new(), Vec::new());
    let mut problems = Vec::new();
    for (f, text) in files.iter().enumerate() {
        for (n, line) in data_lines(text) {
            let Some((kind, pattern)) = line.split_once('\t') else {
                problems.push((f, (n, format!("expected KIND<TAB>REGEX, got {line:?}"))));
                continue;
            };
            if let Err(e) = regex_syntax::Parser::new().parse(pattern) {
                problems.push((f, (n, format!("bad regex {pattern:?}: {e}"))));
                continue;
            }
            let entry = (f, n, pattern.to_string());
            match kind.trim() {
                "any" => any.push(entry),
                "short" => short.push(entry),
                "tail" => tail.push(entry),
                other => {
                    problems.push((f, (n, format!("unknown kind {other:?} (any, short, tail)"))))
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let set = |v: Vec<(usize, usize, String)>| {
        let patterns: Vec<&str> = v.iter().map(|(_, _, p)| p.as_str()).collect();
        PatternSet::new(&patterns).map_err(|e| {
            let each: Vec<(usize, RuleProblem)> = v
                .iter()
                .filter_map(|(f, n, p)| {
                    Regex::new(p)
                        .err()
                        .map(|err| (*f, (*n, format!("bad regex {p:?}: {err}"))))
                })
                .collect();
            if each.is_empty() {
                vec![(0, (0, e))]
            } else {
                each
            }
        })
    };
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
    pub pattern: GatedRegex,
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
        match GatedRegex::new(p) {
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
        assert!(c.any.len() > 5 && c.short.len() > 5 && c.tail.len() >= 1);
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

    /// The built-in chrome patterns of one kind, as a `RegexSet` (the reference).
    fn reference_set(kind: &str) -> (PatternSet, RegexSet) {
        let patterns: Vec<&str> = data_lines(builtin::CHROME)
            .filter_map(|(_, l)| l.split_once('\t'))
            .filter(|(k, _)| k.trim() == kind)
            .map(|(_, p)| p)
            .collect();
        (
            PatternSet::new(&patterns).expect("compiles"),
            RegexSet::new(&patterns).expect("compiles"),
        )
    }

    #[test]
    fn pattern_sets_answer_like_regex_sets() {
        let lines = [
            "",
            "版权所有 © 2024 某某网",
            "上传人：张三 文档编号：123",
            "若本站内容侵犯了您的版权，请联系删除。",
            "若干意见指出，要加强版权保护。",
            "以下是小编为大家整理的讲话稿，仅供参考。",
            "开通VIP会员，立即下载全文",
            "加入QQ群：123456",
            "首页 > 新闻中心 > 正文",
            "当前位置：首页>要闻",
            "第1页 / 共5页",
            "猜你喜欢",
            "相关推荐：",
            "同志们：今天我们召开全县经济工作会议，主要任务是总结成绩。",
            "京ICP备12345678号 京公网安备 11010502030143号",
            "Copyright 2024 All Rights Reserved",
        ];
        for kind in ["any", "short", "tail"] {
            let (ours, reference) = reference_set(kind);
            assert_eq!(ours.len(), reference.len());
            for line in lines {
                assert_eq!(
                    ours.is_match(line),
                    reference.is_match(line),
                    "{kind}: {line:?}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn pattern_sets_agree_with_regex_sets_on_generated_lines(
            words in proptest::collection::vec(
                proptest::sample::select(vec![
                    "版权", "所有", "版权所有", "本站", "本网站", "声明", "侵犯", "若", "会员",
                    "VIP", "开通", "成为", "QQ", "群", "：", ":", " ", "微信", "小编", "整理",
                    "以下是", "的", "首页", ">", "|", "第", "1", "页", "/", "共", "上一篇",
                    "相关推荐", "ICP", "备", "©", "copyright", "讲话", "同志们", "，", "。",
                    "下载", "全文", "责任编辑", "来源", "仅供参考", "\u{3000}", "a", "Z",
                    "中", "大", "小", "返回", "APP", "客户端", "微信", "公众号", "主办", "单位",
                    "共", "展开阅读全文", "剩余", "未读", "扫码", "已有", "人", "【", "编辑",
                ]),
                0..24,
            )
        ) {
            static SETS: std::sync::LazyLock<Vec<(PatternSet, RegexSet)>> =
                std::sync::LazyLock::new(|| {
                    ["any", "short", "tail"].into_iter().map(reference_set).collect()
                });
            let line: String = words.concat();
            for (ours, reference) in SETS.iter() {
                proptest::prop_assert_eq!(ours.is_match(&line), reference.is_match(&line));
            }
        }
    }

    /// Document-type cues, which every gated regex is checked against.
    fn doc_type_patterns() -> Vec<&'static str> {
        data_lines(builtin::DOC_TYPE)
            .filter_map(|(_, l)| l.splitn(3, '\t').nth(2))
            .collect()
    }

    #[test]
    fn gated_regexes_answer_like_their_regexes() {
        let mut patterns = doc_type_patterns();
        patterns.push(r"(?:来源|稿源|信息来源|文章来源|出处)\s*[:：]\s*([^\s|｜:：]+)");
        let texts = [
            "",
            "本报讯（记者 张三）近日，",
            "（记者 李四）",
            "新华社北京3月5日电 ",
            "某某日报客户端",
            "来源：某某市人民政府网",
            "同志们：今天开会。",
            "关于做好春季农业生产工作的讲话",
            "2023年政府工作报告",
            "记",
            "者",
        ];
        for p in &patterns {
            let (ours, reference) = (
                GatedRegex::new(p).expect("compiles"),
                Regex::new(p).expect("compiles"),
            );
            for t in texts {
                assert_eq!(ours.is_match(t), reference.is_match(t), "{p}: {t:?}");
                assert_eq!(
                    ours.captures(t).map(|c| c.get(0).map(|m| m.range())),
                    reference.captures(t).map(|c| c.get(0).map(|m| m.range())),
                    "{p}: {t:?}"
                );
            }
        }
        // the cues searched in long paragraphs and header lines all have a filter
        for (_, line) in data_lines(builtin::DOC_TYPE) {
            let cols: Vec<&str> = line.splitn(3, '\t').collect();
            if let [_, "edges" | "header", p] = cols.as_slice() {
                assert!(GatedRegex::new(p).expect("compiles").has_filter(), "{p}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn gated_regexes_agree_with_regexes_on_generated_texts(
            words in proptest::collection::vec(
                proptest::sample::select(vec![
                    "记者", "记", "者", "通讯员", "本报讯", "讯", "（", "(", "□", "日电", "3",
                    "月", "5", "日", "电", "新华社", "日报", "客户端", "来源", "：", ":", " ",
                    "讲话", "报告", "工作报告", "同志们", "，", "。", "张三", "北京", "a",
                ]),
                0..24,
            )
        ) {
            static REGEXES: std::sync::LazyLock<Vec<(GatedRegex, Regex)>> =
                std::sync::LazyLock::new(|| {
                    doc_type_patterns()
                        .into_iter()
                        .map(|p| (GatedRegex::new(p).expect("compiles"), Regex::new(p).expect("compiles")))
                        .collect()
                });
            let text: String = words.concat();
            for (ours, reference) in REGEXES.iter() {
                proptest::prop_assert_eq!(ours.is_match(&text), reference.is_match(&text));
            }
        }
    }

    #[test]
    fn the_builtin_sets_have_literal_gates() {
        let c = parse_chrome(&[builtin::CHROME]).expect("chrome.txt parses");
        assert!(c.any.has_gate() && c.short.has_gate() && c.tail.has_gate());
    }

    #[test]
    fn syntax_errors_read_as_regex_reports_them() {
        for bad in ["(", "a{2,1}", "[z-a]", "\\p{Nope}", "(?<n>a)(?<n>b)", "*"] {
            let ours = regex_syntax::Parser::new()
                .parse(bad)
                .err()
                .map(|e| e.to_string());
            let regex = Regex::new(bad).err().map(|e| e.to_string());
            assert!(ours.is_some(), "{bad}");
            assert_eq!(ours, regex, "{bad}");
        }
    }

    #[test]
    fn a_pattern_too_big_to_compile_is_reported_with_its_line() {
        let e = parse_chrome(&["any\tok\nany\t\\w{1000}{1000}\n"]).expect_err("too big");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].1 .0, 2);
        assert!(e[0].1 .1.starts_with("bad regex"), "{:?}", e[0]);
    }

    #[test]
    fn bad_rule_lines_are_reported_with_line_numbers() {
        let e = parse_chrome(&["any\t(\nweird\tx\nnotab\n"]).expect_err("bad file");
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].1 .0, 1);
    }
}
