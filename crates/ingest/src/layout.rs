//! Text placed on pages (OFD text objects, a PDF converter's lines with their boxes) →
//! paragraphs: the lines of a paragraph joined again by their layout (see [`paragraphs`]).

/// One line of a page: its text, baseline, font size, and where its text starts and ends.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    /// The text.
    pub(crate) text: String,
    /// Baseline (any unit, growing down the page).
    pub(crate) y: f64,
    /// Font size (the unit of `y`).
    pub(crate) size: f64,
    /// Where the text starts.
    pub(crate) start_x: f64,
    /// Where the text ends.
    pub(crate) end_x: f64,
}

/// Where a document's full lines end: among the long lines (reaching at least 60 % of the
/// widest span), the end most of them share, within a character (a dense cluster: the lines
/// of running text); ties go to the furthest. Lines running past the margin (an unbreakable
/// address, hanging punctuation) are few and do not make every other line look short.
fn right_margin<'a>(lines: impl Iterator<Item = &'a Line>) -> f64 {
    let lines: Vec<&Line> = lines.collect();
    let left = lines
        .iter()
        .map(|l| l.start_x)
        .fold(f64::INFINITY, f64::min);
    let far = lines
        .iter()
        .map(|l| l.end_x)
        .fold(f64::NEG_INFINITY, f64::max);
    if lines.is_empty() {
        return 0.0;
    }
    let mut ends: Vec<f64> = lines
        .iter()
        .filter(|l| l.end_x - left >= 0.6 * (far - left))
        .map(|l| l.end_x)
        .collect();
    ends.sort_by(f64::total_cmp);
    let mut sizes: Vec<f64> = lines.iter().map(|l| l.size).collect();
    sizes.sort_by(f64::total_cmp);
    let width = sizes.get(sizes.len() / 2).copied().unwrap_or(0.0);
    // The window of `width` holding the most ends; its last end.
    let (mut best, mut best_count) = (far, 0);
    let mut start = 0;
    for (last, &end) in ends.iter().enumerate() {
        while ends.get(start).is_some_and(|&e| end - e > width) {
            start += 1;
        }
        let count = last + 1 - start;
        if count >= best_count {
            (best, best_count) = (end, count);
        }
    }
    best
}

/// Whether a line holds nothing but a page number (`- 3 -`, `—3—`, `3`, `第3页`).
fn is_page_number(text: &str) -> bool {
    let t = text.trim().trim_start_matches("第").trim_end_matches("页");
    let t = t.trim_matches(|c: char| c.is_whitespace() || matches!(c, '-' | '—' | '–' | '－'));
    !t.is_empty() && t.len() <= 4 && t.chars().all(|c| c.is_ascii_digit())
}

/// The text of a document's pages, a paragraph a line. A line that spans the text width
/// (starts at most two characters in and reaches the right margin) goes on into the next one
/// (no line break) when that one starts at its page's left margin, not indented: a paragraph
/// wrapped over several lines, or over a page break, becomes one line again, while a
/// heading, a paragraph's short last line and an indented first line end a line.
///
/// The right margin is the document's ([`right_margin`]; a sparse last page's longest line is
/// not taken for a full one), the left margin each page's own (odd and even pages of a bound
/// document are shifted). Joined lines facing with ASCII letters or digits get a space
/// (English words wrapped at a space). Lines holding only a page number are dropped.
pub(crate) fn paragraphs(pages: &[Vec<Line>]) -> String {
    let pages: Vec<Vec<&Line>> = pages
        .iter()
        .map(|lines| lines.iter().filter(|l| !is_page_number(&l.text)).collect())
        .collect();
    let right = right_margin(pages.iter().flatten().copied());
    let mut out = String::new();
    // The previous line and its page's left margin.
    let mut previous: Option<(&Line, f64)> = None;
    for lines in &pages {
        let left = lines
            .iter()
            .map(|l| l.start_x)
            .fold(f64::INFINITY, f64::min);
        for &line in lines {
            // The previous line spans the text width (starting at most two characters in,
            // so a right-aligned date or signature is not taken for a full line), and this one
            // starts at the margin.
            let goes_on = previous.is_some_and(|(p, p_left)| {
                p.start_x <= p_left + 2.5 * p.size
                    && p.end_x >= right - 1.5 * p.size
                    && line.start_x <= left + 0.5 * line.size
            });
            if goes_on {
                // Words wrapped at a space (the space is not drawn) keep one.
                let facing = out.chars().next_back().zip(line.text.chars().next());
                if facing
                    .is_some_and(|(a, b)| a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric())
                {
                    out.push(' ');
                }
            } else if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(line.text.trim_end());
            previous = Some((line, left));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, y: f64, start_x: f64, end_x: f64) -> Line {
        Line {
            text: text.to_string(),
            y,
            size: 5.6,
            start_x,
            end_x,
        }
    }

    #[test]
    fn wrapped_lines_are_joined_by_their_layout() {
        let pages = vec![
            vec![
                line("关于做好工作的通知", 30.0, 70.0, 120.0),
                line("各单位：", 45.0, 28.0, 50.0),
                line("为了做好今年的工作，现将有关事项", 55.0, 39.2, 184.0),
                line("通知如下。", 65.0, 28.0, 56.0),
                line("一、总体要求", 75.0, 39.2, 72.0),
                line("坚持稳中求进，推动高质量发展，把", 85.0, 39.2, 183.5),
                line("- 1 -", 280.0, 100.0, 112.0),
            ],
            vec![
                line("各项任务落到实处。", 37.0, 28.0, 78.4),
                line("2023年3月1日", 47.0, 140.0, 180.0),
            ],
            // A sparse last page: its longest line is not a full one.
            vec![
                line("附件：1.工作方案", 37.0, 28.0, 120.0),
                line("2.任务清单", 47.0, 28.0, 80.0),
            ],
        ];
        assert_eq!(
            paragraphs(&pages),
            "关于做好工作的通知\n各单位：\n为了做好今年的工作，现将有关事项通知如下。\n一、总体要求\n坚持稳中求进，推动高质量发展，把各项任务落到实处。\n2023年3月1日\n附件：1.工作方案\n2.任务清单"
        );
        let lines = [
            // Size 5.6: ends within 5.6 of each other end together.
            line("a", 0.0, 0.0, 530.0),
            line("b", 0.0, 0.0, 517.0),
            line("c", 0.0, 0.0, 515.5),
            line("d", 0.0, 0.0, 516.0),
            line("f", 0.0, 0.0, 526.0),
            line("e", 0.0, 0.0, 300.0),
        ];
        assert_eq!(right_margin(lines.iter()), 517.0);
        assert_eq!(right_margin(lines[..2].iter()), 530.0);
        assert!(is_page_number("- 12 -") && is_page_number("—3—") && is_page_number("第3页"));
        assert!(!is_page_number("2023年") && !is_page_number("-") && !is_page_number("12345"));
    }
}
