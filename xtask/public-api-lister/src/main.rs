//! `public-api-lister FILE`: prints the public API of the crate whose rustdoc JSON is `FILE`,
//! one item a line, sorted, as `cargo xtask public-api` commits it.
//!
//! Blanket implementations (`impl<T> Into<U> for T`, `Any`, `Borrow`, ...) are left out: they
//! follow from the items themselves. Auto traits (`Send`, `Sync`, `Unpin`, ...) and derived
//! implementations stay in, since adding a field can remove one and break callers.

use std::process::ExitCode;

use serde::Deserialize;

/// The one field read before anything else: the format the file is written in.
#[derive(Deserialize)]
struct Header {
    format_version: u32,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file] = args.as_slice() else {
        eprintln!("usage: public-api-lister <rustdoc JSON file>");
        return ExitCode::from(2);
    };
    match list(file) {
        Ok(listing) => {
            print!("{listing}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn list(file: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(file).map_err(|err| format!("reading {file}: {err}"))?;
    // rustdoc's JSON nests as deep as the types it describes; public-api reads it without
    // serde_json's recursion limit, and so does this.
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    deserializer.disable_recursion_limit();
    let header = Header::deserialize(&mut deserializer)
        .map_err(|err| format!("{file} is not rustdoc JSON: {err}"))?;
    if header.format_version != rustdoc_types::FORMAT_VERSION {
        return Err(format!(
            "{file} is rustdoc JSON format {}, and the public-api release pinned in \
             xtask/public-api-lister/Cargo.toml reads format {}: pin the public-api release \
             whose rustdoc-types crate has FORMAT_VERSION {} (see its Cargo.toml)",
            header.format_version,
            rustdoc_types::FORMAT_VERSION,
            header.format_version
        ));
    }
    let api = public_api::Builder::from_rustdoc_json(file)
        .omit_blanket_impls(true)
        .build()
        .map_err(|err| format!("reading the public API from {file}: {err}"))?;
    let mut listing = String::new();
    for item in api.items() {
        listing.push_str(&item.to_string());
        listing.push('\n');
    }
    Ok(listing)
}
