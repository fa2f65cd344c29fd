
# `cargo archgen …`: cargo runs cargo-archgen, so complete it as `cargo-archgen …` with the words
# shifted by one. Every other cargo subcommand goes to cargo's own completion, unchanged.
function __cargo_archgen_cargo_form
    set -l words (commandline -opc)
    test (count $words) -ge 2; and test "$words[2]" = archgen
end

function __cargo_archgen_cargo_complete
    set -l words (commandline -opc)
    complete -C (string join -- ' ' cargo-archgen (string escape -- $words[3..-1]))" "(commandline -ct)
end

complete -c cargo -n __cargo_archgen_cargo_form -f -a '(__cargo_archgen_cargo_complete)'
