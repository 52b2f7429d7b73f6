//! Character-level steps: tag stripping, entity decoding, invisible characters and whitespace
//! (lossless repairs), width folding, doc-mill characters and placeholders.

use std::collections::HashMap;

use regex::Regex;

/// True for CJK ideographs (unified, extension A–F, compatibility).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2EBEF | 0x30000..=0x3134F | 0xF900..=0xFAFF)
}

/// Sentence-final punctuation (full-width and ASCII).
pub fn is_terminal(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '；' | ';' | '…')
}

/// Clause punctuation: what makes a line read as prose rather than a heading or a link.
pub fn is_clause_punct(c: char) -> bool {
    matches!(
        c,
        '，' | ',' | '。' | '；' | ';' | '！' | '？' | '!' | '?' | '：' | ':'
    )
}

/// Closing quotes and brackets that may follow a sentence end.
pub fn is_closing(c: char) -> bool {
    matches!(
        c,
        '”' | '’' | '」' | '』' | '"' | '\'' | '）' | ')' | '】' | '》'
    )
}

/// Number of Han characters in `s`.
pub fn han_count(s: &str) -> usize {
    s.chars().filter(|&c| is_han(c)).count()
}

/// The steps that repair text without changing what it says: stray tags, entities,
/// invisible characters, whitespace runs.
#[derive(Debug)]
pub struct Repairs {
    tag: Regex,
    comment: Regex,
    entity: Regex,
}

impl Repairs {
    /// Compiles the patterns.
    pub fn new() -> Result<Self, regex::Error> {
        Ok(Repairs {
            tag: Regex::new(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]{0,400})?/?>")?,
            comment: Regex::new(r"(?s)<!--.{0,2000}?-->")?,
            entity: Regex::new(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});")?,
        })
    }

    /// Removes HTML comments and tags left in plain text.
    pub fn strip_tags(&self, text: &str) -> String {
        let no_comments = self.comment.replace_all(text, "");
        self.tag.replace_all(&no_comments, "").into_owned()
    }

    /// Decodes character references (`&nbsp;`, `&#8220;`, `&ldquo;`…); unknown names stay.
    pub fn decode_entities(&self, text: &str) -> String {
        self.entity
            .replace_all(text, |caps: &regex::Captures| {
                let whole = caps.get(0).map_or("", |m| m.as_str()).to_string();
                let name = caps.get(1).map_or("", |m| m.as_str());
                decode_entity(name).map(String::from).unwrap_or(whole)
            })
            .into_owned()
    }
}

fn decode_entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = if let Some(hex) = num.strip_prefix(['x', 'X']) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            num.parse::<u32>().ok()?
        };
        return char::from_u32(code).filter(|c| *c != '\0');
    }
    Some(match name {
        "nbsp" | "ensp" | "emsp" | "thinsp" => ' ',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "ldquo" => '“',
        "rdquo" => '”',
        "lsquo" => '‘',
        "rsquo" => '’',
        "mdash" => '—',
        "ndash" => '–',
        "hellip" => '…',
        "middot" => '·',
        "bull" => '•',
        "copy" => '©',
        "reg" => '®',
        "times" => '×',
        "laquo" => '«',
        "raquo" => '»',
        _ => return None,
    })
}

/// Invisible characters are removed, every kind of space (NBSP, ideographic space, tabs…)
/// becomes one ASCII space, runs of spaces collapse to one, lines are trimmed, `\r` goes.
pub fn normalize_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    let mut line_has_text = false;
    for c in text.chars() {
        match c {
            // fast path: above U+3000 only U+FEFF and U+FFFC are dropped (no space, no control)
            c if (c as u32) > 0x3000 && c != '\u{FEFF}' && c != '\u{FFFC}' => {
                if pending_space && line_has_text {
                    out.push(' ');
                }
                pending_space = false;
                line_has_text = true;
                out.push(c);
            }
            '\n' => {
                out.push('\n');
                pending_space = false;
                line_has_text = false;
            }
            '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}'
            | '\u{00AD}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FFFC}' => {}
            c if c.is_whitespace() || c == '\u{00A0}' => pending_space = true,
            c if c.is_control() => {}
            c => {
                if pending_space && line_has_text {
                    out.push(' ');
                }
                pending_space = false;
                line_has_text = true;
                out.push(c);
            }
        }
    }
    out
}

/// Full-width digits and Latin letters become ASCII; punctuation (，。：；！？（）) stays.
/// Returns the text and the number of characters changed.
pub fn fold_width(text: &str) -> (String, usize) {
    // every full-width digit and letter (U+FF10–U+FF5A) is encoded with a leading 0xEF byte
    let foldable = |c: char| matches!(c, '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ');
    if !text.as_bytes().contains(&0xEF) || !text.contains(foldable) {
        return (text.to_string(), 0);
    }
    let mut changed = 0;
    let out = text
        .chars()
        .map(|c| match c {
            '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
                changed += 1;
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            c => c,
        })
        .collect();
    (out, changed)
}

/// A table of doc-mill characters (travesties of common characters) and what they stand for.
#[derive(Debug, Default)]
pub struct DocMillTable {
    map: FastMap<char, char>,
    /// One bit per Basic Multilingual Plane character: set when it is in `map` (a fast
    /// prefilter; characters beyond the BMP are looked up in `map`).
    bmp: Vec<u64>,
}

impl DocMillTable {
    /// Parses `FOUND<TAB>MEANT` lines; returns the line numbers (1-based) that are malformed.
    pub fn add_tsv(&mut self, text: &str) -> Vec<usize> {
        let mut bad = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let mut cols = line.split('\t');
            let found = cols.next().map(|s| s.trim());
            let meant = cols.next().map(|s| s.trim());
            match (found, meant) {
                (Some(f), Some(m)) if f.chars().count() == 1 && m.chars().count() == 1 => {
                    if let (Some(fc), Some(mc)) = (f.chars().next(), m.chars().next()) {
                        self.map.insert(fc, mc);
                        let code = fc as usize;
                        if code < 0x10000 {
                            if self.bmp.is_empty() {
                                self.bmp = vec![0; 0x10000 / 64];
                            }
                            if let Some(w) = self.bmp.get_mut(code / 64) {
                                *w |= 1 << (code % 64);
                            }
                        }
                    }
                }
                _ => bad.push(i + 1),
            }
        }
        bad
    }

    fn contains(&self, c: char) -> bool {
        let code = c as usize;
        if code < 0x10000 {
            self.bmp
                .get(code / 64)
                .is_some_and(|w| w & (1 << (code % 64)) != 0)
        } else {
            self.map.contains_key(&c)
        }
    }

    /// Number of doc-mill characters in `text` (what [`DocMillTable::apply`] counts).
    pub fn count(&self, text: &str) -> usize {
        text.chars().filter(|&c| self.contains(c)).count()
    }

    /// Counts doc-mill characters in `text` and, when `repair`, replaces them (1:1, so no
    /// offset moves).
    pub fn apply(&self, text: &str, repair: bool) -> (String, usize) {
        let mut found = 0;
        if !text.chars().any(|c| self.contains(c)) {
            return (text.to_string(), 0);
        }
        let out = text
            .chars()
            .map(|c| match self.map.get(&c) {
                Some(&m) => {
                    found += 1;
                    if repair {
                        m
                    } else {
                        c
                    }
                }
                None => c,
            })
            .collect();
        (out, found)
    }
}

fn is_placeholder_char(c: char) -> bool {
    matches!(c, 'X' | '*' | '＊' | '×' | 'Ｘ')
}

/// Counts redaction placeholders: runs of X, *, ＊, × standing for a name or number
/// (`X高质量发展`, `“六个*”`, `回****`). An X touching a Latin letter is a word, not a placeholder
/// (`XML`, `Xi`); × between digits is multiplication.
pub fn count_placeholders(text: &str) -> usize {
    if !text.contains(is_placeholder_char) {
        return 0;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut count = 0;
    let mut i = 0;
    while i < chars.len() {
        if !chars.get(i).copied().is_some_and(is_placeholder_char) {
            i += 1;
            continue;
        }
        let start = i;
        while chars.get(i).copied().is_some_and(is_placeholder_char) {
            i += 1;
        }
        let before = start.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let after = chars.get(i).copied();
        let run = chars.get(start..i).unwrap_or(&[]);
        let letter = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphabetic());
        if letter(before) || letter(after) {
            continue;
        }
        if run.iter().all(|&c| c == '×') && before.is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        // A lone asterisk right after a word and before a space or line end is a footnote mark
        // only in Latin text; in Chinese text it is a placeholder, so it counts.
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_and_invisibles() {
        let s = "  同志们：\u{3000}\u{3000}今天\u{200B}开会\u{00A0}\u{00A0}了 \r\n\t第二行  ";
        assert_eq!(normalize_whitespace(s), "同志们： 今天开会 了\n第二行");
    }

    #[test]
    fn tags_and_entities() {
        let r = Repairs::new().expect("patterns compile");
        let s =
            r.strip_tags("<cite id=\"a1\"></cite>\n<p class=x>正文&nbsp;内容</p><!-- c -->a < b");
        assert_eq!(r.decode_entities(&s), "\n正文 内容a < b");
        assert_eq!(
            r.decode_entities("&ldquo;六稳&rdquo;&#20013;&#x6587;&bogus;"),
            "“六稳”中文&bogus;"
        );
    }

    #[test]
    fn width_folding_keeps_chinese_punctuation() {
        let (s, n) = fold_width("２０２３年，ＧＤＰ增长５％（初步）：好！");
        assert_eq!(s, "2023年，GDP增长5％（初步）：好！");
        assert_eq!(n, 8);
    }

    #[test]
    fn doc_mill_count_and_repair() {
        let mut t = DocMillTable::default();
        assert!(t.add_tsv("# c\n旳\t的\n坏行\n").len() == 1);
        assert_eq!(
            t.apply("会议旳任务旳", false),
            ("会议旳任务旳".to_string(), 2)
        );
        assert_eq!(t.apply("会议旳任务", true), ("会议的任务".to_string(), 1));
    }

    #[test]
    fn placeholders() {
        assert_eq!(count_placeholders("推动X事业发展，争取X亿元"), 2);
        assert_eq!(count_placeholders("“六个*”和“平安*”，上传人：回****"), 3);
        assert_eq!(count_placeholders("XML格式，3×4矩阵，Xi"), 0);
        assert_eq!(count_placeholders("XX县委书记××同志"), 2);
    }
}

/// A fast, non-cryptographic hasher (the multiply-rotate scheme of rustc's `FxHasher`) for
/// the per-document maps keyed by line text, where SipHash cost more than the lookups saved.
/// Keys come from one document at a time, so the lack of DoS resistance costs little.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

const FAST_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FAST_SEED);
    }
}

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Long keys (whole lines) are hashed by their length and their first and last 32
        // bytes: lines that differ only in the middle merely share a bucket (the map still
        // compares keys), and hashing stays cheap however long the lines are.
        if bytes.len() > 64 {
            self.add(bytes.len() as u64);
            if let (Some(head), Some(tail)) = (bytes.get(..32), bytes.get(bytes.len() - 32..)) {
                self.write(head);
                self.write(tail);
            }
            return;
        }
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            if let Some(w) = word.get_mut(..rest.len()) {
                w.copy_from_slice(rest);
            }
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;
