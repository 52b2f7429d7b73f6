//! The tables gongwen writes: names, columns, column kinds and one-line meanings.
//!
//! This is the single source of truth: the writers, `gongwen schema` and `docs/tables.md` are
//! all derived from [`TABLES`].

/// Storage kind of a column (how it is buffered, typed in Parquet and formatted in CSV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// 64-bit integer, never null.
    Int,
    /// 64-bit integer or null.
    OptInt,
    /// UTF-8 string, never null.
    Str,
    /// UTF-8 string or null.
    OptStr,
    /// 64-bit float, never null.
    F64,
    /// 64-bit float or null.
    OptF64,
    /// Boolean, never null.
    Bool,
}

impl Kind {
    /// The type name users see (`?` marks a nullable column).
    pub(crate) fn user_name(self) -> &'static str {
        match self {
            Kind::Int => "i64",
            Kind::OptInt => "i64?",
            Kind::Str => "str",
            Kind::OptStr => "str?",
            Kind::F64 => "f64",
            Kind::OptF64 => "f64?",
            Kind::Bool => "bool",
        }
    }
}

/// How the values of a string column are kept until they are written to Parquet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrLayout {
    /// Every value as it comes; the Parquet encoder decides whether a dictionary is worth it
    /// (it estimates the distinct values of every row group, hashing each value, and hashes
    /// them again to build the dictionary when there are few).
    Plain,
    /// Runs of equal values (rows sorted by this column: `doc_id`), dictionary-encoded with
    /// no hashing.
    Runs,
    /// Every value as it comes, written without a dictionary: so many rows that hashing each
    /// value costs more than compressing it with the rest (a token's word: a dictionary saves
    /// under 3 % of the file after zstd, and hashing 7 M words took longer than all of zstd).
    Unhashed,
    /// A dictionary of distinct values built as rows arrive (a column of short values that
    /// repeat: a token's tag, an entity's type and text, a section id, a unit; a null takes no
    /// entry). A row group whose values are mostly distinct is written plain instead, by the
    /// rule polars' encoder applies to its estimate of the distinct values (see `Plain`), so
    /// the values are hashed once, as they arrive, not twice by polars.
    Dict,
}

/// One column's definition.
#[derive(Debug)]
pub(crate) struct ColumnDef {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) doc: &'static str,
    /// How a string column is buffered for Parquet (`Plain` for other kinds).
    pub(crate) layout: StrLayout,
}

/// One table's definition.
#[derive(Debug)]
pub(crate) struct TableDef {
    pub(crate) name: &'static str,
    pub(crate) columns: &'static [ColumnDef],
}

impl TableDef {
    /// Position of a column by name.
    pub(crate) fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// The tables, in the order they are listed everywhere. Indexed by [`Table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    Documents = 0,
    Paragraphs = 1,
    Sentences = 2,
    Sections = 3,
    Tokens = 4,
    Entities = 5,
    EntityCounts = 6,
    Numbers = 7,
    Keywords = 8,
    Errors = 9,
}

/// Number of tables.
pub(crate) const N_TABLES: usize = 10;

impl Table {
    /// Every table, in index order.
    pub(crate) const ALL: [Table; N_TABLES] = [
        Table::Documents,
        Table::Paragraphs,
        Table::Sentences,
        Table::Sections,
        Table::Tokens,
        Table::Entities,
        Table::EntityCounts,
        Table::Numbers,
        Table::Keywords,
        Table::Errors,
    ];

    /// Its definition.
    pub(crate) fn def(self) -> &'static TableDef {
        &TABLES[self as usize]
    }
}

const fn col(name: &'static str, kind: Kind, doc: &'static str) -> ColumnDef {
    ColumnDef {
        name,
        kind,
        doc,
        layout: StrLayout::Plain,
    }
}

/// A never-null string column with few distinct values, dictionary-encoded as rows arrive.
const fn dict(name: &'static str, doc: &'static str) -> ColumnDef {
    ColumnDef {
        layout: StrLayout::Dict,
        ..col(name, Kind::Str, doc)
    }
}

/// A string column of short values that repeat (labels, ids, units, names as written),
/// dictionary-encoded as rows arrive unless a row group's values are mostly distinct.
const fn labels(name: &'static str, kind: Kind, doc: &'static str) -> ColumnDef {
    ColumnDef {
        layout: StrLayout::Dict,
        ..col(name, kind, doc)
    }
}

/// A never-null string column of many rows, written without a dictionary.
const fn unhashed(name: &'static str, doc: &'static str) -> ColumnDef {
    ColumnDef {
        layout: StrLayout::Unhashed,
        ..col(name, Kind::Str, doc)
    }
}

/// A never-null string column whose rows come in runs of equal values.
const fn runs(name: &'static str, doc: &'static str) -> ColumnDef {
    ColumnDef {
        layout: StrLayout::Runs,
        ..col(name, Kind::Str, doc)
    }
}

const DOC_ID: ColumnDef = runs("doc_id", "document id: 16 hex digits of the BLAKE3 hash of the file's bytes (`-NNNNNN` suffix for a record of a CSV/JSONL export and for a file inside a zip archive)");
const CHAR_START: ColumnDef = col(
    "char_start",
    Kind::Int,
    "first character (inclusive), a character offset into the document's clean text",
);
const CHAR_END: ColumnDef = col(
    "char_end",
    Kind::Int,
    "one past the last character (exclusive)",
);
const SECTION_ID: ColumnDef = labels(
    "section_id",
    Kind::OptStr,
    "innermost section containing the start (`2.3.1`); null outside every section",
);

/// Every table's columns, in file order. Contract columns first, extra columns after.
pub(crate) static TABLES: [TableDef; N_TABLES] = [
    TableDef {
        name: "documents",
        columns: &[
            DOC_ID,
            col("source_path", Kind::Str, "path of the input file (`path#row` for a record of an export, `archive.zip!/name` for a file inside a zip archive)"),
            col("format", Kind::OptStr, "format recognised by content (by extension for a file that failed before it was read): txt, html, mht, md, docx, doc, rtf, odt, ofd, pdf, xml, csv, jsonl, binary; zip for a zip archive that failed as a whole (its files get their own format)"),
            col("encoding", Kind::OptStr, "encoding decoded from (UTF-8, GB18030, Big5, UTF-16LE…)"),
            col("script", Kind::OptStr, "script of the original: simplified or traditional (converted to simplified)"),
            col("title", Kind::OptStr, "the document's own title, without site junk"),
            col("date", Kind::OptStr, "the document's date, YYYY-MM-DD"),
            col("source", Kind::OptStr, "publisher or site (来源)"),
            col("doc_type", Kind::OptStr, "speech, news, report or other"),
            col("speaker", Kind::OptStr, "speaker of a speech, when named"),
            col("n_chars", Kind::Int, "characters in the clean text (paragraphs joined with \\n)"),
            col("n_paragraphs", Kind::Int, "rows in paragraphs"),
            col("n_sentences", Kind::Int, "rows in sentences"),
            col("n_sections", Kind::Int, "rows in sections"),
            col("n_numbers", Kind::Int, "rows in numbers"),
            col("n_entities", Kind::Int, "rows in entities (mentions)"),
            col("status", Kind::Str, "ok, empty, error or duplicate"),
            col("error", Kind::OptStr, "why the document is empty or failed; null for ok and duplicate"),
            col("duplicate_of", Kind::OptStr, "for status duplicate: source_path of the earlier file with the same bytes"),
            col("n_bytes", Kind::Int, "size of the input in bytes"),
            col("bytes_replaced", Kind::Bool, "true when some bytes could not be decoded and became U+FFFD"),
            col("doc_mill_chars", Kind::Int, "doc-mill corruptions found (旳 for 的 …)"),
            col("placeholders", Kind::Int, "redaction placeholders found (X, ＊, × …)"),
            col("n_tokens", Kind::Int, "tokens found (also when the tokens table is not written)"),
        ],
    },
    TableDef {
        name: "paragraphs",
        columns: &[
            DOC_ID,
            col("para_idx", Kind::Int, "0-based position of the paragraph in the document"),
            SECTION_ID,
            CHAR_START,
            CHAR_END,
            col("text", Kind::Str, "the paragraph (= clean text sliced at char_start..char_end)"),
        ],
    },
    TableDef {
        name: "sentences",
        columns: &[
            DOC_ID,
            col("sent_idx", Kind::Int, "0-based position of the sentence in the document"),
            col("para_idx", Kind::Int, "paragraph it belongs to"),
            SECTION_ID,
            CHAR_START,
            CHAR_END,
            col("text", Kind::Str, "the sentence (= clean text sliced at char_start..char_end)"),
        ],
    },
    TableDef {
        name: "sections",
        columns: &[
            DOC_ID,
            labels("section_id", Kind::Str, "path of 1-based ordinals among siblings: `2`, `2.3`, `2.3.1`"),
            labels("parent_id", Kind::OptStr, "the parent's section_id; null at level 1"),
            col("level", Kind::Int, "1 for the outermost numbering style, 2 for the next nested, …"),
            labels("marker", Kind::Str, "the numbering as written with its punctuation (`一、`, `（一）`); empty for an unnumbered subheading"),
            col("ordinal", Kind::OptInt, "the number the marker states (一 → 1), if any"),
            col("heading", Kind::Str, "heading text without marker and final punctuation"),
            CHAR_START,
            col("char_end", Kind::Int, "one past the section's last character (just before the next sibling or ancestor-sibling heading)"),
        ],
    },
    TableDef {
        name: "tokens",
        columns: &[
            DOC_ID,
            col("sent_idx", Kind::Int, "sentence it belongs to"),
            col("tok_idx", Kind::Int, "0-based position in the sentence"),
            unhashed("word", "the word (= clean text sliced at char_start..char_end)"),
            dict("pos", "jieba part-of-speech tag (n, v, nr, ns, nt, m, x…)"),
            CHAR_START,
            CHAR_END,
        ],
    },
    TableDef {
        name: "entities",
        columns: &[
            DOC_ID,
            col("sent_idx", Kind::Int, "sentence the mention is in"),
            SECTION_ID,
            CHAR_START,
            CHAR_END,
            labels("text", Kind::Str, "the mention as written (= clean text sliced at char_start..char_end)"),
            dict("type", "PER, LOC, ORG or TERM"),
            labels("title", Kind::OptStr, "for PER: the title written next to the name (市委书记)"),
            col("redacted", Kind::Bool, "true when the mention contains a redaction placeholder (X, ＊…)"),
        ],
    },
    TableDef {
        name: "entity_counts",
        columns: &[
            DOC_ID,
            labels("text", Kind::Str, "the entity as written"),
            dict("type", "PER, LOC, ORG or TERM"),
            col("mentions", Kind::Int, "mentions of this text and type in the document"),
        ],
    },
    TableDef {
        name: "numbers",
        columns: &[
            DOC_ID,
            col("sent_idx", Kind::Int, "sentence the number is in"),
            SECTION_ID,
            CHAR_START,
            CHAR_END,
            labels("text", Kind::Str, "the mention as written, with unit and qualifier (= clean text sliced at char_start..char_end)"),
            dict("kind", "money, percent, percent_point, count, measure, year, date, period, duration, rank, multiple, name, other"),
            col("value", Kind::OptF64, "value in base units (423亿元 → 42300000000); null for ranges, dates, placeholders"),
            col("low", Kind::OptF64, "lower end of a range"),
            col("high", Kind::OptF64, "upper end of a range"),
            labels("unit", Kind::OptStr, "base unit (元, %, 百分点, 吨, 年, 倍, 位…)"),
            labels("iso", Kind::OptStr, "for dates: ISO 8601 (2023-02-28, --04-18, --05)"),
            labels("qualifier", Kind::OptStr, "多, 余, 以上, 超, 近, 约, 左右, 不到, 过 when attached"),
            col("redacted", Kind::Bool, "true when the digits are a placeholder (X亿元)"),
            labels("subject", Kind::OptStr, "the indicator measured (工业总产值), when found"),
        ],
    },
    TableDef {
        name: "keywords",
        columns: &[
            DOC_ID,
            col("rank", Kind::Int, "1 for the highest weight"),
            labels("word", Kind::Str, "the keyword"),
            col("weight", Kind::F64, "its TF-IDF weight over the documents of the run"),
        ],
    },
    TableDef {
        name: "errors",
        columns: &[
            col("source_path", Kind::Str, "path of the input file that failed or was empty"),
            col("stage", Kind::Str, "ingest, clean, segment or tabulate"),
            col("message", Kind::Str, "the reason, quoting the offending value"),
            runs("doc_id", "document id when the bytes could be read, else empty"),
            col("status", Kind::Str, "error or empty"),
        ],
    },
];
