//! `gongwen`: the command-line driver. STUB — the end-to-end issue builds the real CLI.

fn main() {
    println!("gongwen");
}
