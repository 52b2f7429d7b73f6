//! Turning one document's outcome into rows of every table.

use std::collections::BTreeMap;

use gongwen_model::{DocOutcome, Failure, FailureStatus, Keyword, SegmentedDoc};

use crate::schema::{Table, N_TABLES};
use crate::sink::{Cell, TableSink};
use crate::TabulateError;

/// The sinks of every table; `None` for a table the config turned off.
pub(crate) struct Sinks(pub(crate) [Option<TableSink>; N_TABLES]);

fn int(v: usize) -> Cell<'static> {
    Cell::Int(i64::try_from(v).unwrap_or(i64::MAX))
}

fn opt_str(v: &Option<String>) -> Cell<'_> {
    Cell::OptStr(v.as_deref())
}

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
            sink.push(&[
                Cell::Str(id),
                Cell::Str(&src.source_path),
                Cell::OptStr(src.format.map(|f| f.as_str())),
                opt_str(&src.encoding),
                Cell::OptStr(Some(doc.script.as_str())),
                opt_str(&doc.title),
                opt_str(&doc.date),
                opt_str(&doc.publisher),
                Cell::OptStr(Some(doc.doc_type.as_str())),
                opt_str(&doc.speaker),
                int(n_chars),
                int(seg.paragraphs.len()),
                int(seg.sentences.len()),
                int(seg.sections.len()),
                int(seg.numbers.len()),
                int(seg.entities.len()),
                Cell::Str("ok"),
                Cell::OptStr(None),
                opt_str(&src.duplicate_of),
                Cell::Int(i64::try_from(src.n_bytes).unwrap_or(i64::MAX)),
                Cell::Bool(src.bytes_replaced),
                int(doc.stats.doc_mill_chars),
                int(doc.stats.placeholders),
                int(seg.tokens.len()),
            ])?;
        }
        if let Some(sink) = self.sink(Table::Paragraphs) {
            for p in &seg.paragraphs {
                sink.push(&[
                    Cell::Str(id),
                    int(p.para_idx),
                    opt_str(&p.section_id),
                    int(p.span.start),
                    int(p.span.end),
                    Cell::Str(&p.text),
                ])?;
            }
        }
        if let Some(sink) = self.sink(Table::Sentences) {
            for s in &seg.sentences {
                sink.push(&[
                    Cell::Str(id),
                    int(s.sent_idx),
                    int(s.para_idx),
                    opt_str(&s.section_id),
                    int(s.span.start),
                    int(s.span.end),
                    Cell::Str(&s.text),
                ])?;
            }
        }
        if let Some(sink) = self.sink(Table::Sections) {
            for s in &seg.sections {
                sink.push(&[
                    Cell::Str(id),
                    Cell::Str(&s.section_id),
                    opt_str(&s.parent_id),
                    Cell::Int(i64::from(s.level)),
                    Cell::Str(&s.marker),
                    Cell::OptInt(s.ordinal.map(i64::from)),
                    Cell::Str(&s.heading),
                    int(s.span.start),
                    int(s.span.end),
                ])?;
            }
        }
        if let Some(sink) = self.sink(Table::Tokens) {
            for t in &seg.tokens {
                sink.push(&[
                    Cell::Str(id),
                    int(t.sent_idx),
                    int(t.tok_idx),
                    Cell::Str(&t.word),
                    Cell::Str(&t.pos),
                    int(t.span.start),
                    int(t.span.end),
                ])?;
            }
        }
        if let Some(sink) = self.sink(Table::Entities) {
            for e in &seg.entities {
                sink.push(&[
                    Cell::Str(id),
                    int(e.sent_idx),
                    opt_str(&e.section_id),
                    int(e.span.start),
                    int(e.span.end),
                    Cell::Str(&e.text),
                    Cell::Str(e.entity_type.as_str()),
                    opt_str(&e.title),
                    Cell::Bool(e.redacted),
                ])?;
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
                sink.push(&[
                    Cell::Str(id),
                    Cell::Str(text),
                    Cell::Str(entity_type),
                    int(mentions),
                ])?;
            }
        }
        if let Some(sink) = self.sink(Table::Numbers) {
            for n in &seg.numbers {
                sink.push(&[
                    Cell::Str(id),
                    int(n.sent_idx),
                    opt_str(&n.section_id),
                    int(n.span.start),
                    int(n.span.end),
                    Cell::Str(&n.text),
                    Cell::Str(n.kind.as_str()),
                    Cell::OptF64(n.value),
                    Cell::OptF64(n.low),
                    Cell::OptF64(n.high),
                    opt_str(&n.unit),
                    opt_str(&n.iso),
                    opt_str(&n.qualifier),
                    Cell::Bool(n.redacted),
                    opt_str(&n.subject),
                ])?;
            }
        }
        Ok(())
    }

    fn write_failure(&mut self, failure: &Failure) -> Result<(), TabulateError> {
        let src = &failure.source;
        let is_duplicate = failure.status == FailureStatus::Duplicate;
        if let Some(sink) = self.sink(Table::Documents) {
            let zero = Cell::Int(0);
            sink.push(&[
                Cell::Str(&src.doc_id),
                Cell::Str(&src.source_path),
                Cell::OptStr(src.format.map(|f| f.as_str())),
                opt_str(&src.encoding),
                Cell::OptStr(None),
                Cell::OptStr(None),
                Cell::OptStr(None),
                Cell::OptStr(None),
                Cell::OptStr(None),
                Cell::OptStr(None),
                zero,
                zero,
                zero,
                zero,
                zero,
                zero,
                Cell::Str(failure.status.as_str()),
                Cell::OptStr(if is_duplicate {
                    None
                } else {
                    Some(&failure.message)
                }),
                opt_str(&src.duplicate_of),
                Cell::Int(i64::try_from(src.n_bytes).unwrap_or(i64::MAX)),
                Cell::Bool(src.bytes_replaced),
                zero,
                zero,
                zero,
            ])?;
        }
        if !is_duplicate {
            if let Some(sink) = self.sink(Table::Errors) {
                sink.push(&[
                    Cell::Str(&src.source_path),
                    Cell::Str(failure.stage.as_str()),
                    Cell::Str(&failure.message),
                    Cell::Str(&src.doc_id),
                    Cell::Str(failure.status.as_str()),
                ])?;
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
                sink.push(&[
                    Cell::Str(doc_id),
                    int(k.rank),
                    Cell::Str(&k.word),
                    Cell::F64(k.weight),
                ])?;
            }
        }
        Ok(())
    }
}
