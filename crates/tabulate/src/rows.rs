//! Turning one document's outcome into rows of every table.

use std::collections::BTreeMap;

use gongwen_model::{DocOutcome, Failure, FailureStatus, Keyword, SegmentedDoc, Token};

use crate::csv_out::{push_field, push_int_then, small_digits, RowBlock};

use crate::schema::{Kind, Table, N_TABLES};
use crate::sink::TableSink;
use crate::TabulateError;

/// The sinks of every table; `None` for a table the config turned off.
pub(crate) struct Sinks(pub(crate) [Option<TableSink>; N_TABLES]);

impl Sinks {
    fn sink(&mut self, table: Table) -> Option<&mut TableSink> {
        self.0.get_mut(table as usize).and_then(Option::as_mut)
    }

    /// Appends the rows of one document outcome.
    pub(crate) fn write_outcome(&mut self, outcome: &DocOutcome) -> Result<(), TabulateError> {
        match outcome {
            DocOutcome::Done(doc) => self.write_done(doc),
            DocOutcome::Failed(failure) => self.write_failure(failure),
        }
    }

    fn write_done(&mut self, seg: &SegmentedDoc) -> Result<(), TabulateError> {
        let doc = &seg.doc;
        let src = &doc.source;
        let id = src.doc_id.as_str();
        if let Some(sink) = self.sink(Table::Documents) {
            let n_chars = doc
                .paragraphs
                .iter()
                .map(|p| p.chars().count())
                .sum::<usize>()
                + doc.paragraphs.len().saturating_sub(1);
            sink.row()
                .str(id)
                .str(&src.source_path)
                .opt_str(src.format.map(|f| f.as_str()))
                .opt_str(src.encoding.as_deref())
                .opt_str(Some(doc.script.as_str()))
                .opt_str(doc.title.as_deref())
                .opt_str(doc.date.as_deref())
                .opt_str(doc.publisher.as_deref())
                .opt_str(Some(doc.doc_type.as_str()))
                .opt_str(doc.speaker.as_deref())
                .usize(n_chars)
                .usize(seg.paragraphs.len())
                .usize(seg.sentences.len())
                .usize(seg.sections.len())
                .usize(seg.numbers.len())
                .usize(seg.entities.len())
                .str("ok")
                .opt_str(None)
                .opt_str(src.duplicate_of.as_deref())
                .int(i64::try_from(src.n_bytes).unwrap_or(i64::MAX))
                .bool(src.bytes_replaced)
                .usize(doc.stats.doc_mill_chars)
                .usize(doc.stats.placeholders)
                .usize(seg.tokens.len())
                .end()?;
        }
        if let Some(sink) = self.sink(Table::Paragraphs) {
            for p in &seg.paragraphs {
                sink.row()
                    .str(id)
                    .usize(p.para_idx)
                    .opt_str(p.section_id.as_deref())
                    .usize(p.span.start)
                    .usize(p.span.end)
                    .str(&p.text)
                    .end()?;
            }
        }
        if let Some(sink) = self.sink(Table::Sentences) {
            for s in &seg.sentences {
                sink.row()
                    .str(id)
                    .usize(s.sent_idx)
                    .usize(s.para_idx)
                    .opt_str(s.section_id.as_deref())
                    .usize(s.span.start)
                    .usize(s.span.end)
                    .str(&s.text)
                    .end()?;
            }
        }
        if let Some(sink) = self.sink(Table::Sections) {
            for s in &seg.sections {
                sink.row()
                    .str(id)
                    .str(&s.section_id)
                    .opt_str(s.parent_id.as_deref())
                    .int(i64::from(s.level))
                    .str(&s.marker)
                    .opt_int(s.ordinal.map(i64::from))
                    .str(&s.heading)
                    .usize(s.span.start)
                    .usize(s.span.end)
                    .end()?;
            }
        }
        if let Some(sink) = self.sink(Table::Tokens) {
            write_tokens(sink, id, &seg.tokens)?;
        }
        if let Some(sink) = self.sink(Table::Entities) {
            for e in &seg.entities {
                sink.row()
                    .str(id)
                    .usize(e.sent_idx)
                    .opt_str(e.section_id.as_deref())
                    .usize(e.span.start)
                    .usize(e.span.end)
                    .str(&e.text)
                    .str(e.entity_type.as_str())
                    .opt_str(e.title.as_deref())
                    .bool(e.redacted)
                    .end()?;
            }
        }
        if let Some(sink) = self.sink(Table::EntityCounts) {
            let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
            for e in &seg.entities {
                *counts
                    .entry((e.entity_type.as_str(), e.text.as_str()))
                    .or_insert(0) += 1;
            }
            for ((entity_type, text), mentions) in counts {
                sink.row()
                    .str(id)
                    .str(text)
                    .str(entity_type)
                    .usize(mentions)
                    .end()?;
            }
        }
        if let Some(sink) = self.sink(Table::Numbers) {
            for n in &seg.numbers {
                sink.row()
                    .str(id)
                    .usize(n.sent_idx)
                    .opt_str(n.section_id.as_deref())
                    .usize(n.span.start)
                    .usize(n.span.end)
                    .str(&n.text)
                    .str(n.kind.as_str())
                    .opt_f64(n.value)
                    .opt_f64(n.low)
                    .opt_f64(n.high)
                    .opt_str(n.unit.as_deref())
                    .opt_str(n.iso.as_deref())
                    .opt_str(n.qualifier.as_deref())
                    .bool(n.redacted)
                    .opt_str(n.subject.as_deref())
                    .end()?;
            }
        }
        Ok(())
    }

    fn write_failure(&mut self, failure: &Failure) -> Result<(), TabulateError> {
        let src = &failure.source;
        let is_duplicate = failure.status == FailureStatus::Duplicate;
        if let Some(sink) = self.sink(Table::Documents) {
            sink.row()
                .str(&src.doc_id)
                .str(&src.source_path)
                .opt_str(src.format.map(|f| f.as_str()))
                .opt_str(src.encoding.as_deref())
                .opt_str(None)
                .opt_str(None)
                .opt_str(None)
                .opt_str(None)
                .opt_str(None)
                .opt_str(None)
                .int(0)
                .int(0)
                .int(0)
                .int(0)
                .int(0)
                .int(0)
                .str(failure.status.as_str())
                .opt_str(if is_duplicate {
                    None
                } else {
                    Some(&failure.message)
                })
                .opt_str(src.duplicate_of.as_deref())
                .int(i64::try_from(src.n_bytes).unwrap_or(i64::MAX))
                .bool(src.bytes_replaced)
                .int(0)
                .int(0)
                .int(0)
                .end()?;
        }
        if !is_duplicate {
            if let Some(sink) = self.sink(Table::Errors) {
                sink.row()
                    .str(&src.source_path)
                    .str(failure.stage.as_str())
                    .str(&failure.message)
                    .str(&src.doc_id)
                    .str(failure.status.as_str())
                    .end()?;
            }
        }
        Ok(())
    }

    /// Appends one document's keywords, in the order given (rank order).
    pub(crate) fn write_keywords(
        &mut self,
        doc_id: &str,
        keywords: &[Keyword],
    ) -> Result<(), TabulateError> {
        if let Some(sink) = self.sink(Table::Keywords) {
            for k in keywords {
                sink.row()
                    .str(doc_id)
                    .usize(k.rank)
                    .str(&k.word)
                    .f64(k.weight)
                    .end()?;
            }
        }
        Ok(())
    }
}

/// Bytes of the block a token row's id field is copied from (an id of 16 hex digits, or one
/// with a `-NNNNNN` record suffix, and its comma fit).
const ID_BLOCK: usize = 32;

/// Appends a document's tokens. The tokens table has by far the most rows (one per word,
/// 30 times the sentences), so it is written a column at a time ([`TableSink::write_columns`]):
/// the document's id is formatted once, not once per row.
fn write_tokens(sink: &mut TableSink, doc_id: &str, tokens: &[Token]) -> Result<(), TabulateError> {
    use Kind::{Int, Str};
    const KINDS: [Kind; 7] = [Str, Int, Int, Str, Str, Int, Int];
    let int = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    sink.write_columns(
        &KINDS,
        tokens.len(),
        |columns, range| {
            let (Some(rows), [doc, sent, tok, word, pos, start, end]) =
                (tokens.get(range), columns)
            else {
                return;
            };
            doc.push_repeated_str(doc_id, rows.len());
            sent.extend_ints(rows.iter().map(|t| int(t.sent_idx)));
            tok.extend_ints(rows.iter().map(|t| int(t.tok_idx)));
            word.extend_strs(rows.iter().map(|t| t.word.as_str()));
            pos.extend_strs(rows.iter().map(|t| t.pos.as_str()));
            start.extend_ints(rows.iter().map(|t| int(t.span.start)));
            end.extend_ints(rows.iter().map(|t| int(t.span.end)));
        },
        |buf| {
            // The id and its comma, formatted once and padded to a fixed size.
            let mut id_field = Vec::with_capacity(ID_BLOCK);
            push_field(&mut id_field, doc_id.as_bytes());
            id_field.push(b',');
            let mut id_block = [0u8; ID_BLOCK];
            let id_fits = match id_block.get_mut(..id_field.len()) {
                Some(head) => {
                    head.copy_from_slice(&id_field);
                    true
                }
                None => false,
            };
            // Rows are formatted in place ([`RowBlock`]); a row that does not fit a slot is
            // written value by value instead.
            let mut rows = RowBlock::new();
            // A token starts where the one before ends (but between paragraphs): the digits of
            // its start are then those of the previous end, not converted again.
            let mut prev_end = (usize::MAX, None);
            for t in tokens {
                let start = match prev_end {
                    (end, digits) if end == t.span.start => digits,
                    _ => small_digits(t.span.start),
                };
                let end = small_digits(t.span.end);
                prev_end = (t.span.end, end);
                let written = rows.row(buf).filter(|_| id_fits).and_then(|mut row| {
                    row.block(&id_block, id_field.len());
                    row.digits_then(small_digits(t.sent_idx), b',');
                    row.digits_then(small_digits(t.tok_idx), b',');
                    row.field_then(t.word.as_bytes(), b',');
                    row.field_then(t.pos.as_bytes(), b',');
                    row.digits_then(start, b',');
                    row.digits_then(end, b'\n');
                    row.finish()
                });
                match written {
                    Some(n) => rows.keep(n),
                    None => {
                        rows.flush(buf);
                        buf.extend_from_slice(&id_field);
                        push_int_then(buf, int(t.sent_idx), b',');
                        push_int_then(buf, int(t.tok_idx), b',');
                        push_field(buf, t.word.as_bytes());
                        buf.push(b',');
                        push_field(buf, t.pos.as_bytes());
                        buf.push(b',');
                        push_int_then(buf, int(t.span.start), b',');
                        push_int_then(buf, int(t.span.end), b'\n');
                    }
                }
            }
            rows.flush(buf);
        },
    )
}
