//! Keyword candidates per document and TF-IDF ranking over a run.

use std::collections::{HashMap, HashSet};

use gongwen_model::{Keyword, Token};

/// What may be a keyword.
#[derive(Debug, Clone)]
pub(crate) struct KeywordRules {
    stopwords: HashSet<String>,
    min_chars: usize,
    max_candidates: usize,
    excluded_pos: Vec<String>,
}

impl KeywordRules {
    /// Rules from a stop-word list and the `[segment]` keyword settings.
    pub(crate) fn new(
        stopwords: Vec<String>,
        min_chars: usize,
        max_candidates: usize,
        excluded_pos: Vec<String>,
    ) -> Self {
        KeywordRules {
            stopwords: stopwords.into_iter().collect(),
            min_chars,
            max_candidates,
            excluded_pos,
        }
    }

    /// Whether a token may be a keyword.
    fn is_candidate(&self, t: &Token) -> bool {
        let mut n = 0usize;
        let mut has_letter = false;
        for c in t.word.chars() {
            n += 1;
            if c.is_whitespace() || c.is_control() {
                return false;
            }
            // Letters of any script (Han included); digits, numerals, punctuation and
            // symbols do not make a keyword.
            if c.is_alphabetic() && !"〇零一二三四五六七八九十百千万亿两几多余X".contains(c)
            {
                has_letter = true;
            }
        }
        n >= self.min_chars
            && has_letter
            && !self
                .excluded_pos
                .iter()
                .any(|p| t.pos.starts_with(p.as_str()))
            && !self.stopwords.contains(t.word.as_str())
    }

    /// Candidate words with counts: the `max_candidates` most frequent, sorted by count
    /// (descending) then word.
    pub(crate) fn term_counts(&self, tokens: &[Token]) -> Vec<(String, u32)> {
        let mut counts: HashMap<&str, u32> = HashMap::new();
        for t in tokens {
            if self.is_candidate(t) {
                *counts.entry(t.word.as_str()).or_default() += 1;
            }
        }
        let mut v: Vec<(String, u32)> = counts
            .into_iter()
            .map(|(w, c)| (w.to_string(), c))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(self.max_candidates);
        v
    }
}

/// TF-IDF ranking: tf = count / total of the document's candidate counts; idf =
/// ln((1 + n_docs) / (1 + df)) + 1 (smoothed, never negative); ties broken by word.
pub(crate) fn rank(
    terms: &[(String, u32)],
    doc_freq: &HashMap<String, u32>,
    n_docs: usize,
    top_k: usize,
) -> Vec<Keyword> {
    let total = terms.iter().map(|(_, c)| u64::from(*c)).sum::<u64>().max(1) as f64;
    let n = n_docs as f64;
    let mut scored: Vec<(&str, f64)> = terms
        .iter()
        .map(|(w, c)| {
            let df = f64::from(doc_freq.get(w).copied().unwrap_or(1).max(1));
            let idf = ((1.0 + n) / (1.0 + df)).ln().max(0.0) + 1.0;
            (w.as_str(), f64::from(*c) / total * idf)
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    scored
        .into_iter()
        .take(top_k)
        .enumerate()
        .map(|(i, (word, weight))| Keyword {
            rank: i + 1,
            word: word.to_string(),
            weight,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gongwen_model::Span;

    fn tok(word: &str, pos: &str) -> Token {
        Token {
            sent_idx: 0,
            tok_idx: 0,
            word: word.into(),
            pos: pos.into(),
            span: Span::default(),
        }
    }

    #[test]
    fn candidates_leave_out_stopwords_single_chars_numbers_and_punctuation() {
        let rules = KeywordRules::new(vec!["我们".into()], 2, 200, vec!["x".into(), "m".into()]);
        let tokens = vec![
            tok("营商环境", "nz"),
            tok("营商环境", "nz"),
            tok("我们", "r"),
            tok("市", "n"),
            tok("2023", "m"),
            tok("三万", "n"),
            tok("，", "x"),
            tok("招商", "v"),
            tok("  ", "x"),
            tok("5G", "eng"),
        ];
        assert_eq!(
            rules.term_counts(&tokens),
            vec![
                ("营商环境".to_string(), 2),
                ("5G".to_string(), 1),
                ("招商".to_string(), 1)
            ]
        );
    }

    #[test]
    fn candidates_are_capped_by_count() {
        let rules = KeywordRules::new(vec![], 2, 2, vec![]);
        let tokens = vec![
            tok("乙乙", "n"),
            tok("甲甲", "n"),
            tok("丙丙", "n"),
            tok("丙丙", "n"),
        ];
        assert_eq!(
            rules.term_counts(&tokens),
            vec![("丙丙".to_string(), 2), ("乙乙".to_string(), 1)]
        );
    }

    #[test]
    fn ranking_is_tfidf_with_deterministic_ties() {
        let terms = vec![
            ("共有".to_string(), 2),
            ("独有".to_string(), 1),
            ("另有".to_string(), 1),
        ];
        let df: HashMap<String, u32> = [
            ("共有".to_string(), 10),
            ("独有".to_string(), 1),
            ("另有".to_string(), 1),
        ]
        .into_iter()
        .collect();
        let ranked = rank(&terms, &df, 10, 10);
        let words: Vec<&str> = ranked.iter().map(|k| k.word.as_str()).collect();
        // 另有 and 独有 tie; the tie is broken by word order.
        assert_eq!(words, vec!["另有", "独有", "共有"]);
        assert_eq!(ranked.first().map(|k| k.rank), Some(1));
        assert!(ranked.windows(2).all(|w| w[0].weight >= w[1].weight));
        assert_eq!(rank(&terms, &df, 10, 1).len(), 1);
    }
}
