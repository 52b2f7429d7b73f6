//! Sentence splitting inside one paragraph.
//!
//! A sentence ends after a run of `。！？；!?;` or `…`, together with the closing quotes and
//! brackets and the whitespace that follow it. A terminator inside a balanced pair of quotes
//! or brackets (`“…”`, `（…）`, `《…》`, ASCII `"…"`) does not end a sentence, unless the pair
//! is longer than the configured cap; an opening quote that is never closed protects nothing,
//! so an unbalanced quote cannot swallow the rest of the paragraph. A closing quote right after
//! a terminator (`…谋未来。”`) ends the sentence too. Text after the last
//! terminator is a sentence of its own. The sentences tile the paragraph exactly.

/// Characters that end a sentence (a run of them ends one sentence).
pub(crate) fn is_terminator(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';' | '…')
}

/// Closing quotes and brackets that stay with the sentence they follow.
pub(crate) fn is_closer(c: char) -> bool {
    matches!(
        c,
        '”' | '’' | '」' | '』' | '）' | ')' | '】' | '》' | '〕' | '〉' | ']' | '"'
    )
}

/// A character of the main CJK block: no terminator, colon, quote or bracket, so the
/// per-character rules can skip it at once (most characters of the text).
pub(crate) fn is_plain_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}')
}

/// The closing character of an opening quote or bracket.
fn closer_of(c: char) -> Option<char> {
    Some(match c {
        '“' => '”',
        '‘' => '’',
        '「' => '」',
        '『' => '』',
        '（' => '）',
        '(' => ')',
        '【' => '】',
        '《' => '》',
        '〔' => '〕',
        '〈' => '〉',
        '[' => ']',
        _ => return None,
    })
}

/// The sentences of one paragraph, as character ranges relative to the paragraph, plus the
/// positions right after a colon outside quotes and brackets (clause starts).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Split {
    /// `(start, end)` of each sentence; they tile the paragraph.
    pub sentences: Vec<(usize, usize)>,
    /// Positions just after a `：`/`:` (and following whitespace) outside quotes and brackets.
    pub after_colons: Vec<usize>,
}

/// How far below the top of the stack a closer looks for its opener.
const MAX_NESTING: usize = 16;

/// The positions lying strictly inside a balanced quote/bracket pair of at most `cap`
/// characters, as sorted, disjoint `(start, end)` ranges. One pass with a stack over the
/// `marked` positions (every character that is not plain Han, see [`split_marked`]);
/// unmatched openers and closers protect nothing. (Ranges rather than a flag per character:
/// no allocation for a paragraph without quotes, and only terminators and colons are looked
/// up.)
fn protected_ranges(chars: &[char], marked: &[usize], cap: usize) -> Vec<(usize, usize)> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut ascii_quote: Option<usize> = None;
    let mut mark = |open: usize, close: usize| {
        if close > open + 1 && close - open <= cap {
            ranges.push((open + 1, close));
        }
    };
    for &i in marked {
        let Some(&c) = chars.get(i) else { continue };
        if c == '"' {
            match ascii_quote.take() {
                Some(open) => mark(open, i),
                None => ascii_quote = Some(i),
            }
        } else if let Some(close) = closer_of(c) {
            stack.push((close, i));
        } else if is_closer(c) {
            // Look only near the top, so a flood of unmatched openers stays linear.
            let depth = stack
                .iter()
                .rev()
                .take(MAX_NESTING)
                .position(|&(close, _)| close == c);
            if let Some(k) = depth.map(|d| stack.len() - 1 - d) {
                let open = stack.get(k).map(|&(_, o)| o).unwrap_or(i);
                stack.truncate(k);
                mark(open, i);
            }
        }
    }
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// Whether position `i` lies in one of `ranges` (sorted and disjoint).
fn is_protected(ranges: &[(usize, usize)], i: usize) -> bool {
    let k = ranges.partition_point(|&(s, _)| s <= i);
    k.checked_sub(1)
        .and_then(|k| ranges.get(k))
        .is_some_and(|&(_, e)| i < e)
}

/// The positions of `chars` that are not plain Han (see [`is_plain_han`]): the only ones
/// where a sentence can end, a quote open or close, or a colon stand.
#[cfg(test)]
pub(crate) fn marked_positions(chars: &[char]) -> Vec<usize> {
    (0..chars.len())
        .filter(|&i| chars.get(i).is_some_and(|&c| !is_plain_han(c)))
        .collect()
}

/// Splits one paragraph (as characters) into sentences. `quote_cap` is the longest quotation
/// (in characters) inside which terminators are ignored.
#[cfg(test)]
pub(crate) fn split(chars: &[char], quote_cap: usize) -> Split {
    split_marked(chars, &marked_positions(chars), quote_cap)
}

/// [`split`], given the positions of `chars` that are not plain Han, in order (segment
/// records them while decoding the text, so neither pass here looks at the Han characters,
/// most of the text).
pub(crate) fn split_marked(chars: &[char], marked: &[usize], quote_cap: usize) -> Split {
    let n = chars.len();
    let protected = protected_ranges(chars, marked, quote_cap);
    let is_inside = |i: usize| is_protected(&protected, i);
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut out = Split::default();
    let mut start = 0;
    // Positions before `next` belong to a sentence end already taken.
    let mut next = 0;
    for &i in marked {
        if i < next || i >= n {
            continue;
        }
        let c = at(i);
        if (c == '：' || c == ':') && !is_inside(i) {
            let mut j = i + 1;
            while j < n && at(j).is_whitespace() {
                j += 1;
            }
            if j < n {
                out.after_colons.push(j);
            }
        }
        let ends_quote = is_closer(c) && i > 0 && is_terminator(at(i - 1));
        if (is_terminator(c) || ends_quote) && !is_inside(i) {
            let mut j = i + 1;
            while j < n && (is_terminator(at(j)) || is_closer(at(j))) {
                j += 1;
            }
            while j < n && at(j).is_whitespace() {
                j += 1;
            }
            out.sentences.push((start, j));
            start = j;
            next = j;
        }
    }
    if start < n {
        out.sentences.push((start, n));
    }
    out
}

/// Byte offsets of positions of one paragraph's characters, asked in increasing order, from
/// the positions of its characters that are not plain Han (see [`is_plain_han`]): every other
/// character takes three bytes in UTF-8, so only those few are visited, not every character.
pub(crate) struct ByteOffsets<'a> {
    chars: &'a [char],
    /// The positions of the characters that are not plain Han, in order.
    marked: &'a [usize],
    /// How many of `marked` lie before the last position asked.
    passed: usize,
    /// Their length in bytes, together.
    passed_bytes: usize,
}

impl<'a> ByteOffsets<'a> {
    /// Offsets into the text of `chars`, whose characters that are not plain Han are at
    /// `marked` (in order).
    pub(crate) fn new(chars: &'a [char], marked: &'a [usize]) -> Self {
        ByteOffsets {
            chars,
            marked,
            passed: 0,
            passed_bytes: 0,
        }
    }

    /// The byte offset of character `i` (the text's length for `i` = the number of
    /// characters); `i` must not be smaller than the one asked before.
    pub(crate) fn at(&mut self, i: usize) -> usize {
        while let Some(&k) = self.marked.get(self.passed).filter(|&&k| k < i) {
            self.passed_bytes += self.chars.get(k).map_or(0, |c| c.len_utf8());
            self.passed += 1;
        }
        3 * (i - self.passed) + self.passed_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &str) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        split(&chars, 200)
            .sentences
            .iter()
            .map(|&(s, e)| chars.get(s..e).unwrap_or(&[]).iter().collect())
            .collect()
    }

    #[test]
    fn splits_on_final_punctuation_and_keeps_closers() {
        assert_eq!(
            sentences("会议强调了三点。大家要行动起来！真的吗？是的；好……结束"),
            vec![
                "会议强调了三点。",
                "大家要行动起来！",
                "真的吗？",
                "是的；",
                "好……",
                "结束"
            ]
        );
        assert_eq!(
            sentences("他说“要干！”。然后走了"),
            vec!["他说“要干！”。", "然后走了"]
        );
        assert_eq!(sentences("真的？！不会吧"), vec!["真的？！", "不会吧"]);
    }

    #[test]
    fn never_splits_inside_quotes_or_brackets() {
        assert_eq!(
            sentences("他指出：“抓创新就是抓发展。谋创新就是谋未来。”我们要牢记。"),
            vec![
                "他指出：“抓创新就是抓发展。谋创新就是谋未来。”",
                "我们要牢记。"
            ]
        );
        assert_eq!(
            sentences("（注：数据未审计。）合计三项。"),
            vec!["（注：数据未审计。）", "合计三项。"]
        );
    }

    #[test]
    fn unbalanced_quote_does_not_swallow_the_paragraph() {
        assert_eq!(
            sentences("他说“第一句。第二句。第三句"),
            vec!["他说“第一句。", "第二句。", "第三句"]
        );
    }

    #[test]
    fn very_long_quotes_are_split() {
        let long = format!("“{}。{}。”", "甲".repeat(150), "乙".repeat(150));
        assert_eq!(sentences(&long).len(), 2);
    }

    #[test]
    fn whitespace_after_a_terminator_stays_with_the_sentence() {
        assert_eq!(
            sentences("第一句。 第二句。"),
            vec!["第一句。 ", "第二句。"]
        );
    }

    #[test]
    fn nested_and_overlapping_quotes_protect_their_union() {
        let chars: Vec<char> = "甲“乙（丙。丁）戊。己”庚。".chars().collect();
        let marked = marked_positions(&chars);
        assert_eq!(protected_ranges(&chars, &marked, 200), vec![(2, 11)]);
        assert!(!is_protected(&[(2, 11)], 1));
        assert!(is_protected(&[(2, 11)], 2));
        assert!(is_protected(&[(2, 11)], 10));
        assert!(!is_protected(&[(2, 11)], 11));
        assert_eq!(
            sentences("甲“乙（丙。丁）戊。己”庚。"),
            vec!["甲“乙（丙。丁）戊。己”庚。"]
        );
        assert_eq!(protected_ranges(&chars, &marked, 5), vec![(4, 7)]);
    }

    /// The splitter given every position as marked: every character looked at.
    fn split_every_char(chars: &[char], quote_cap: usize) -> Split {
        let all: Vec<usize> = (0..chars.len()).collect();
        split_marked(chars, &all, quote_cap)
    }

    proptest::proptest! {
        #[test]
        fn byte_offsets_from_marked_positions_are_those_of_the_text(
            text in "[甲乙丙。a1 \u{3000}é😀\u{4E00}\u{9FFF}\u{3400}]{0,40}",
            step in 1usize..5,
        ) {
            let chars: Vec<char> = text.chars().collect();
            let marked = marked_positions(&chars);
            let mut offsets = ByteOffsets::new(&chars, &marked);
            for i in (0..=chars.len()).step_by(step).chain([chars.len()]) {
                let expected: usize = chars.iter().take(i).map(|c| c.len_utf8()).sum();
                proptest::prop_assert_eq!(offsets.at(i), expected);
            }
        }

        #[test]
        fn marked_positions_split_like_every_character(
            text in "[甲乙丙。！？；!?;…：: “”‘’（）()《》\"a1\u{3000}]{0,60}",
            cap in 2usize..40,
        ) {
            let chars: Vec<char> = text.chars().collect();
            proptest::prop_assert_eq!(split(&chars, cap), split_every_char(&chars, cap));
        }
    }

    #[test]
    fn colon_positions_are_reported() {
        let chars: Vec<char> = "主要有两点：一是快；二是好。“注意：别慢”".chars().collect();
        assert_eq!(split(&chars, 200).after_colons, vec![6]);
    }
}
