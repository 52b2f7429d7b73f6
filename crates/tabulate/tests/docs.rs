//! docs/tables.md lists exactly the columns `schemas()` returns. Regenerate the generated
//! block with `GONGWEN_REGENERATE_DOCS=1 cargo test -p gongwen-tabulate --test docs`.
#![allow(clippy::unwrap_used)]

use gongwen_tabulate::schemas;

const BEGIN: &str = "<!-- BEGIN GENERATED: columns (from gongwen_tabulate::schemas) -->\n";
const END: &str = "<!-- END GENERATED: columns -->";

fn render() -> String {
    let mut out = String::new();
    for table in schemas() {
        out.push_str(&format!(
            "\n### `{}`\n\n| column | type | meaning |\n|---|---|---|\n",
            table.name
        ));
        for c in &table.columns {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                c.name,
                c.dtype,
                c.doc.replace('|', "\\|")
            ));
        }
    }
    out.push('\n');
    out
}

#[test]
fn docs_tables_md_lists_every_table_and_column() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/tables.md");
    let text = std::fs::read_to_string(path).unwrap();
    let start = text.find(BEGIN).unwrap() + BEGIN.len();
    let end = text.find(END).unwrap();
    let generated = render();
    if std::env::var_os("GONGWEN_REGENERATE_DOCS").is_some() {
        let new = format!(
            "{}{}{}",
            text.get(..start).unwrap(),
            generated,
            text.get(end..).unwrap()
        );
        std::fs::write(path, new).unwrap();
    } else {
        assert_eq!(
            text.get(start..end).unwrap(),
            generated,
            "docs/tables.md is stale: regenerate it (see this file's header)"
        );
    }
}
