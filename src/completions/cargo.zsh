
# `cargo archgen …`: cargo runs cargo-archgen, so complete it as `cargo-archgen …` with the words
# shifted by one. Every other cargo subcommand goes to cargo's own completion, unchanged.
_cargo_archgen_cargo() {
    if (( CURRENT > 2 )) && [[ ${words[2]} == archgen ]]; then
        words=(cargo-archgen "${(@)words[3,-1]}")
        (( CURRENT-- ))
        _cargo-archgen "$@"
        return
    fi
    if [[ -n ${_cargo_archgen_previous-} ]]; then
        "$_cargo_archgen_previous" "$@"
    else
        _default "$@"
    fi
}

if (( $+functions[compdef] )); then
    if [[ -n ${_comps[cargo]-} && ${_comps[cargo]} != _cargo_archgen_cargo ]]; then
        typeset -g _cargo_archgen_previous=${_comps[cargo]}
    fi
    compdef _cargo_archgen_cargo cargo
fi
