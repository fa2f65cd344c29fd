//! Shell completion scripts for both ways of running the tool: `cargo-archgen …` and
//! `cargo archgen …`.
//!
//! `clap_complete`'s static script completes the `cargo-archgen` command. For bash, zsh and fish a
//! short shim follows it that registers a completion for `cargo` which, when the first word is
//! `archgen`, shifts the words by one and hands them to that script, and otherwise calls the
//! completion cargo already had (bash, zsh) or leaves cargo's own completions alone (fish adds to
//! them). The static scripts were chosen over `clap_complete`'s dynamic `CompleteEnv`: that needs
//! the `unstable-dynamic` feature, runs the binary on every TAB and still has no notion of a cargo
//! subcommand, so the same shim would be needed on top.

use std::fmt::Write as _;

use clap::{CommandFactory, ValueEnum};
use clap_complete::Shell;

use crate::cli::Cli;

/// The command the scripts complete (the parser's `bin_name` is `cargo archgen`, for usage
/// lines).
pub const COMMAND: &str = "cargo-archgen";

/// The name bash's script is generated under: `clap_complete` 4.6 spells the states of a
/// hyphenated name one way where it enters them and another where it handles them
/// (clap-rs/clap#6421), so every word after the first completed file names. Without the hyphen
/// they agree; only the `complete` lines name the command, and they are given the real name.
const BASH_NAME: &str = "cargo_archgen";

/// The completion script for `shell`, ready to be sourced.
#[must_use]
pub fn script(shell: Shell) -> String {
    let name = if shell == Shell::Bash { BASH_NAME } else { COMMAND };
    let mut command = Cli::command().bin_name(name);
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut out);
    let mut script = String::from_utf8_lossy(&out).into_owned();
    if shell == Shell::Bash {
        script = script.replace(&format!(" -o default {BASH_NAME}\n"), &format!(" -o default {COMMAND}\n"));
    }
    if shell == Shell::Fish {
        // clap_complete's fish script completes no positional values: add the one there is.
        let shells: Vec<String> = Shell::value_variants()
            .iter()
            .filter_map(ValueEnum::to_possible_value)
            .map(|v| v.get_name().to_owned())
            .collect();
        let _ = writeln!(
            script,
            "complete -c {COMMAND} -n \"__fish_cargo_archgen_using_subcommand completions\" -f -a \"{}\"",
            shells.join(" ")
        );
    }
    script.push_str(match shell {
        Shell::Bash => include_str!("completions/cargo.bash"),
        Shell::Zsh => include_str!("completions/cargo.zsh"),
        Shell::Fish => include_str!("completions/cargo.fish"),
        _ => "",
    });
    script
}

/// How to install each script: the `completions --help` text.
pub const INSTALL: &str = "\
Installing (the scripts complete both `cargo-archgen …` and `cargo archgen …`; load them after
cargo's own completion if your shell has one):

  bash   with the bash-completion package; add to ~/.bashrc:
           eval \"$(cargo-archgen completions bash)\"
  zsh    add to ~/.zshrc, after `compinit`:
           eval \"$(cargo-archgen completions zsh)\"
  fish   run once:
           cargo-archgen completions fish > ~/.config/fish/conf.d/cargo-archgen.fish
  elvish, powershell: only the `cargo-archgen …` form; for elvish add
           eval (cargo-archgen completions elvish | slurp)
         to ~/.config/elvish/rc.elv, for PowerShell add
           cargo-archgen completions powershell | Out-String | Invoke-Expression
         to $PROFILE.

Open a new shell afterwards. Reinstall after upgrading cargo-archgen (the fish file is a copy).";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_state_names_match_their_case_branches() {
        let script = script(Shell::Bash);
        // Every state the word loop can enter has a branch in the `case "${cmd}"` that follows.
        let entered: Vec<&str> = script
            .lines()
            .filter_map(|l| l.trim().strip_prefix("cmd=\""))
            .map(|l| l.trim_end_matches('"'))
            .filter(|s| !s.is_empty())
            .collect();
        assert!(entered.contains(&"cargo_archgen__subcmd__new"), "{entered:?}");
        for state in entered {
            assert!(script.contains(&format!("\n        {state})\n")), "no branch for {state}");
        }
        let registered: Vec<&str> =
            script.lines().filter(|l| l.trim_start().starts_with("complete -F _cargo_archgen ")).collect();
        assert_eq!(registered.len(), 2, "{registered:?}");
        assert!(registered.iter().all(|l| l.ends_with(" cargo-archgen")), "{registered:?}");
        assert!(script.contains("_cargo_archgen_cargo"));
    }

    #[test]
    fn every_shell_has_a_script() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::Elvish, Shell::PowerShell] {
            assert!(script(shell).contains(COMMAND), "{shell}");
        }
    }
}
