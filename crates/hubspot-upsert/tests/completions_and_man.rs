//! End-to-end tests of `hubspot-upsert completions <SHELL>` and `hubspot-upsert man`: the
//! binary's output, the bash script run by bash, and the upsert run's own arguments left as
//! they were (a file named like a subcommand is still an input file).

use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_hubspot-upsert");

fn upsert(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("HUBSPOT_ACCESS_TOKEN")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8")
}

/// What bash's completer offers for `words` (the last one being completed), with the
/// script `hubspot-upsert completions bash` printed sourced into a fresh `bash`.
#[cfg(unix)]
fn bash_completes(script: &Path, words: &[&str]) -> Vec<String> {
    let current = words.len() - 1;
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{script}'\n\
         COMP_WORDS=({words})\n\
         COMP_CWORD={current}\n\
         complete -p hubspot-upsert >/dev/null || exit 3\n\
         _hubspot__upsert hubspot-upsert '{cur}' '{prev}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script = script.display(),
        words = quoted.join(" "),
        cur = words[current],
        prev = words[current - 1],
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "bash failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(unix)]
#[test]
fn the_bash_script_completes_flags_values_and_subcommand_arguments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("hubspot-upsert.bash");
    std::fs::write(&script, stdout(&upsert(&["completions", "bash"]))).expect("write");

    assert_eq!(
        bash_completes(&script, &["hubspot-upsert", "--pl"]),
        ["--plan"]
    );
    assert_eq!(
        bash_completes(&script, &["hubspot-upsert", "--plan", "pro"]),
        ["professional"]
    );
    assert_eq!(
        bash_completes(&script, &["hubspot-upsert", "com"]),
        ["completions"]
    );
    assert_eq!(
        bash_completes(&script, &["hubspot-upsert", "completions", ""]),
        [
            "-h",
            "--help",
            "bash",
            "elvish",
            "fish",
            "powershell",
            "zsh"
        ]
    );
    assert_eq!(
        bash_completes(&script, &["hubspot-upsert", "schema", "r"]),
        ["report"]
    );
}

#[test]
fn other_shells_get_their_own_script_and_an_unknown_shell_is_a_usage_error() {
    let zsh = stdout(&upsert(&["completions", "zsh"]));
    assert!(zsh.starts_with("#compdef hubspot-upsert\n"));
    assert!(zsh.contains("--object-type"));
    let fish = stdout(&upsert(&["completions", "fish"]));
    assert!(fish.contains("complete -c hubspot-upsert"));
    assert!(fish.contains("object-type"));
    let powershell = stdout(&upsert(&["completions", "powershell"]));
    assert!(powershell.contains("Register-ArgumentCompleter"));

    let out = upsert(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("tcsh"), "{stderr}");
    assert!(stderr.contains("bash"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn man_prints_a_roff_page_for_section_1() {
    let page = stdout(&upsert(&["man"]));
    assert!(page.starts_with(".ie \\n(.g .ds Aq \\(aq\n"));
    assert!(page.contains(&format!(
        ".TH hubspot-upsert 1  \"hubspot-upsert {}\"",
        env!("CARGO_PKG_VERSION")
    )));
    for expected in [
        ".SH NAME\nhubspot\\-upsert \\- Upsert CSV, NDJSON or Parquet records",
        "\\fB\\-\\-object\\-type\\fR",
        "[default: HUBSPOT_ACCESS_TOKEN]",
        "Exit status: 0 when every record succeeded",
        ".SH SUBCOMMANDS",
        ".SH EXAMPLES",
        ".SH ENVIRONMENT",
    ] {
        assert!(page.contains(expected), "no {expected:?} in the page");
    }
}

#[cfg(unix)]
#[test]
fn man_renders_with_groff_without_warnings_when_groff_is_installed() {
    let page = upsert(&["man"]).stdout;
    let Ok(mut groff) = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        eprintln!("groff is not installed; the roff is checked by the test above only");
        return;
    };
    use std::io::Write;
    groff
        .stdin
        .take()
        .expect("stdin")
        .write_all(&page)
        .expect("groff reads the page");
    let out = groff.wait_with_output().expect("groff ends");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "groff warnings");
}

#[test]
fn a_file_named_like_a_subcommand_is_still_the_input_of_a_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["man", "completions"] {
        std::fs::write(
            dir.path().join(name),
            "email,firstname\nada@example.com,Ada\n",
        )
        .expect("write");
        let out = Command::new(BIN)
            .current_dir(dir.path())
            .args([
                "--dry-run",
                "--format",
                "csv",
                "--object-type",
                "contacts",
                "--id-property",
                "email",
                name,
            ])
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        let text = stdout(&out);
        assert!(!text.contains(".TH"), "{name} was taken for the subcommand");
        assert!(text.contains(name), "the dry run names its input: {text}");
    }
}
