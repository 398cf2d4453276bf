//! `hubspot-upsert man`: the manual page, in roff, generated from the command definition.
//!
//! `clap_mangen` renders the title, name, synopsis, description and options (with defaults
//! and possible values) and the version. The rest is rendered here so that the page stands
//! alone: clap_mangen's subcommand section points to one page per subcommand, which a single
//! page printed to standard output cannot bring, and its section for the examples is titled
//! EXTRA. Here each subcommand is described in place, the examples are an EXAMPLES section
//! with one command per line, and ENVIRONMENT names the variables the program reads.

use std::io::{self, Write};

use clap::CommandFactory;
use clap_mangen::Man;
use roff::{Roff, bold, italic, roman};

use crate::cli::{Cli, DEFAULT_TOKEN_ENV};

/// One of clap_mangen's section renderers.
type RenderSection = fn(&Man, &mut dyn Write) -> io::Result<()>;

/// The man page, section 1.
///
/// # Errors
/// Only what writing into memory can return, which is nothing in practice; kept as a
/// `Result` rather than unwrapped.
pub fn man_page() -> io::Result<Vec<u8>> {
    // The `help` subcommand has no page worth a section; `--help` is listed with the options.
    let command = Cli::command().disable_help_subcommand(true);
    let man = Man::new(command.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    let sections: [RenderSection; 4] = [
        Man::render_name_section,
        Man::render_synopsis_section,
        Man::render_description_section,
        Man::render_options_section,
    ];
    for render in sections {
        append_section(&mut page, |w| render(&man, w))?;
    }
    append_section(&mut page, |w| own_sections(&command).to_writer(w))?;
    append_section(&mut page, |w| man.render_version_section(w))?;
    Ok(page)
}

/// Renders one section and appends it without the preamble every roff document starts with
/// (it defines the apostrophe string once; the title already wrote it).
fn append_section(
    page: &mut Vec<u8>,
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut preamble = Vec::new();
    Roff::new().to_writer(&mut preamble)?;
    let mut section = Vec::new();
    render(&mut section)?;
    let body = section
        .strip_prefix(preamble.as_slice())
        .unwrap_or(&section);
    page.extend_from_slice(body);
    Ok(())
}

/// SUBCOMMANDS, EXAMPLES and ENVIRONMENT.
fn own_sections(command: &clap::Command) -> Roff {
    let name = command.get_name();
    let mut roff = Roff::new();

    roff.control("SH", ["SUBCOMMANDS"]);
    for sub in command.get_subcommands() {
        let mut usage = vec![bold(format!("{name} {}", sub.get_name()))];
        let mut values_help = Vec::new();
        for arg in sub.get_positionals() {
            let values = arg.get_possible_values();
            let shown = if values.is_empty() {
                let value_name = arg
                    .get_value_names()
                    .and_then(|names| names.first())
                    .map_or_else(|| arg.get_id().to_string(), ToString::to_string);
                format!("<{value_name}>")
            } else {
                let names: Vec<&str> = values.iter().map(|v| v.get_name()).collect();
                names.join("|")
            };
            usage.push(roman(" "));
            usage.push(italic(shown));
            values_help.extend(
                values
                    .iter()
                    .filter_map(|v| v.get_help().map(|help| format!("{}: {help}", v.get_name()))),
            );
        }
        roff.control("TP", []).text(usage);
        let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
        roff.text([roman(about)]);
        for line in values_help {
            roff.control("br", []).text([roman(line)]);
        }
    }

    let examples: Vec<String> = command
        .get_after_help()
        .map(|text| {
            text.to_string()
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && *line != "Examples:")
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if !examples.is_empty() {
        roff.control("SH", ["EXAMPLES"]).control("nf", []);
        for example in examples {
            roff.text([roman(example)]);
        }
        roff.control("fi", []);
    }

    roff.control("SH", ["ENVIRONMENT"])
        .control("TP", [])
        .text([bold(DEFAULT_TOKEN_ENV)])
        .text([roman(
            "The HubSpot access token (a private app's or an OAuth one), unless --token-env \
             names another variable. Not needed with --mock or --dry-run.",
        )])
        .control("TP", [])
        .text([bold("RUST_LOG")])
        .text([roman(
            "Overrides the log filter (tracing's env-filter syntax); logs go to standard \
             error, for example RUST_LOG=debug.",
        )]);
    roff
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> String {
        String::from_utf8(man_page().expect("rendered")).expect("UTF-8")
    }

    #[test]
    fn the_page_has_the_sections_of_a_man_page_in_order() {
        let page = page();
        assert!(page.contains(".TH hubspot-upsert 1 "));
        let mut last = 0;
        for section in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "INPUT",
            "RUN",
            "CONNECTION",
            "SUBCOMMANDS",
            "EXAMPLES",
            "ENVIRONMENT",
            "VERSION",
        ] {
            let at = page
                .find(&format!("\n.SH {section}\n"))
                .unwrap_or_else(|| panic!("no {section} section"));
            assert!(at > last, "{section} out of order");
            last = at;
        }
        assert!(page.contains(env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn the_preamble_is_written_once_and_no_other_page_is_referenced() {
        let page = page();
        assert_eq!(page.matches(".ds Aq").count(), 2, "one .ie/.el pair");
        assert!(!page.contains("(1)"), "refers to another page");
        assert!(!page.contains(".SH EXTRA"));
    }

    #[test]
    fn subcommands_show_their_values_and_examples_one_per_line() {
        let page = page();
        assert!(page.contains("\\fBhubspot\\-upsert schema\\fR \\fIinput|report\\fR"));
        assert!(page.contains("\\fIbash|elvish|fish|powershell|zsh\\fR"));
        assert!(page.contains("\\fBhubspot\\-upsert man\\fR"));
        assert!(!page.contains("\\fBhubspot\\-upsert help"));
        let examples = &page[page.find(".SH EXAMPLES").expect("examples")..];
        let examples = &examples[..examples.find(".fi").expect("end of no-fill")];
        assert!(examples.starts_with(".SH EXAMPLES\n.nf\nhubspot\\-upsert \\-\\-object\\-type"));
        assert!(examples.contains("\nhubspot\\-upsert \\-\\-mock \\-\\-object\\-type contacts"));
        assert!(examples.contains("\nhubspot\\-upsert schema input\n"));
    }
}
