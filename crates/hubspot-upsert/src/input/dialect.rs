//! CSV dialects: the field delimiter, from `--delimiter` or the file name, and the hint given
//! when a header read with one delimiter is plainly split by another (European spreadsheets
//! save CSV with `;`, warehouses export tab-separated values).

use std::path::Path;

use super::decompress::without_compression_extension;

/// The delimiters read, each with how it is named on the command line.
const DELIMITERS: &[(u8, &str)] = &[(b',', ","), (b';', ";"), (b'\t', "tab"), (b'|', "|")];

/// Parses `--delimiter`: `,`, `;`, `|`, or a tab as `tab`, `\t` or the character itself.
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "," => Ok(b','),
        ";" => Ok(b';'),
        "|" => Ok(b'|'),
        "\t" | "\\t" | "tab" | "TAB" => Ok(b'\t'),
        other => Err(format!(
            "`{other}` is not a delimiter read here; use `,`, `;`, `|` or `tab`"
        )),
    }
}

/// How to give `delimiter` to `--delimiter` in a shell: `';'`, `tab`.
pub fn delimiter_arg(delimiter: u8) -> String {
    let name = DELIMITERS
        .iter()
        .find(|(d, _)| *d == delimiter)
        .map_or("?", |(_, name)| name);
    if name == "tab" {
        name.to_string()
    } else {
        format!("'{name}'")
    }
}

/// The delimiter a file name implies: a tab for `.tsv` (compressed or not).
pub fn delimiter_from_extension(path: &Path) -> Option<u8> {
    let ext = without_compression_extension(path)
        .extension()?
        .to_str()?
        .to_ascii_lowercase();
    (ext == "tsv").then_some(b'\t')
}

/// When the header read with `used` has no `id_column`, another delimiter that splits the
/// same header cleanly (into at least two named cells) with `id_column` among them, and the
/// cells it gives.
pub fn better_delimiter(cells: &[String], used: u8, id_column: &str) -> Option<(u8, Vec<String>)> {
    let line = cells.join(&char::from(used).to_string());
    DELIMITERS
        .iter()
        .map(|(d, _)| *d)
        .filter(|d| *d != used)
        .find_map(|d| {
            let split: Vec<String> = line
                .split(char::from(d))
                .map(|c| c.trim().to_string())
                .collect();
            let clean = split.len() > 1
                && split.iter().all(|c| !c.is_empty())
                && split.iter().any(|c| c == id_column);
            clean.then_some((d, split))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_parse_by_name() {
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter("\\t"), Ok(b'\t'));
        assert_eq!(parse_delimiter("\t"), Ok(b'\t'));
        assert_eq!(parse_delimiter("|"), Ok(b'|'));
        assert_eq!(
            parse_delimiter("::"),
            Err("`::` is not a delimiter read here; use `,`, `;`, `|` or `tab`".into())
        );
        assert_eq!(delimiter_arg(b';'), "';'");
        assert_eq!(delimiter_arg(b'\t'), "tab");
    }

    #[test]
    fn tsv_files_are_tab_separated() {
        assert_eq!(delimiter_from_extension(Path::new("a.TSV")), Some(b'\t'));
        assert_eq!(delimiter_from_extension(Path::new("a.tsv.gz")), Some(b'\t'));
        assert_eq!(delimiter_from_extension(Path::new("a.csv")), None);
    }

    #[test]
    fn a_header_split_by_another_delimiter_is_recognised() {
        let cells = vec!["email;firstname".to_string()];
        assert_eq!(
            better_delimiter(&cells, b',', "email"),
            Some((b';', vec!["email".into(), "firstname".into()]))
        );
        let tabbed = vec!["firstname\temail\tcity".to_string()];
        assert_eq!(
            better_delimiter(&tabbed, b',', "email").map(|(d, _)| d),
            Some(b'\t')
        );
        // Not when the id column is missing under any delimiter, or a cell would be blank.
        assert_eq!(better_delimiter(&cells, b',', "phone"), None);
        assert_eq!(
            better_delimiter(&["email;;x".to_string()], b',', "email"),
            None
        );
        // A `;` file read with `;` that really is comma-separated.
        assert_eq!(
            better_delimiter(&["email,name".to_string()], b';', "email").map(|(d, _)| d),
            Some(b',')
        );
    }
}
