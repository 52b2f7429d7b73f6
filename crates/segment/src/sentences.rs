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

/// Marks which positions lie strictly inside a balanced quote/bracket pair of at most `cap`
/// characters. One pass with a stack; unmatched openers and closers protect nothing.
fn protected_positions(chars: &[char], cap: usize) -> Vec<bool> {
    let n = chars.len();
    let mut diff = vec![0i32; n + 1];
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut ascii_quote: Option<usize> = None;
    let mark = |open: usize, close: usize, diff: &mut Vec<i32>| {
        if close > open + 1 && close - open <= cap {
            if let Some(d) = diff.get_mut(open + 1) {
                *d += 1;
            }
            if let Some(d) = diff.get_mut(close) {
                *d -= 1;
            }
        }
    };
    for (i, &c) in chars.iter().enumerate() {
        if c == '"' {
            match ascii_quote.take() {
                Some(open) => mark(open, i, &mut diff),
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
                mark(open, i, &mut diff);
            }
        }
    }
    let mut depth = 0i32;
    let mut inside = Vec::with_capacity(n);
    for d in diff.iter().take(n) {
        depth += d;
        inside.push(depth > 0);
    }
    inside
}

/// Splits one paragraph (as characters) into sentences. `quote_cap` is the longest quotation
/// (in characters) inside which terminators are ignored.
pub(crate) fn split(chars: &[char], quote_cap: usize) -> Split {
    let n = chars.len();
    let inside = protected_positions(chars, quote_cap);
    let is_inside = |i: usize| inside.get(i).copied().unwrap_or(false);
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut out = Split::default();
    let mut start = 0;
    let mut i = 0;
    while i < n {
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
            i = j;
        } else {
            i += 1;
        }
    }
    if start < n {
        out.sentences.push((start, n));
    }
    out
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
    fn colon_positions_are_reported() {
        let chars: Vec<char> = "主要有两点：一是快；二是好。“注意：别慢”".chars().collect();
        assert_eq!(split(&chars, 200).after_colons, vec![6]);
    }
}
