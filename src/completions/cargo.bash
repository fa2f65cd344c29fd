
# `cargo archgen …`: cargo runs cargo-archgen, so complete it as `cargo-archgen …` with the words
# shifted by one. Every other cargo subcommand goes to cargo's own completion, unchanged.
_cargo_archgen_cargo() {
    if [[ ${COMP_CWORD} -ge 2 && ${COMP_WORDS[1]} == archgen ]]; then
        local words=(cargo-archgen "${COMP_WORDS[@]:2}") cword=$((COMP_CWORD - 1))
        local COMP_WORDS=("${words[@]}") COMP_CWORD=$cword
        _cargo_archgen cargo-archgen "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        return
    fi
    if [[ -n ${_cargo_archgen_previous-} ]]; then
        "$_cargo_archgen_previous" "$@"
    fi
}

# Wrap cargo's completion: bash-completion loads it on first use, so load it now.
if ! complete -p cargo >/dev/null 2>&1; then
    if declare -F _comp_load >/dev/null; then
        _comp_load cargo >/dev/null 2>&1
    elif declare -F __load_completion >/dev/null; then
        __load_completion cargo >/dev/null 2>&1
    fi
fi
_cargo_archgen_spec=$(complete -p cargo 2>/dev/null)
if [[ $_cargo_archgen_spec == *" -F _cargo_archgen_cargo "* ]]; then
    : # sourced twice: already wrapped
elif [[ $_cargo_archgen_spec == *" -F "* ]]; then
    _cargo_archgen_previous=${_cargo_archgen_spec##* -F }
    _cargo_archgen_previous=${_cargo_archgen_previous%% *}
    eval "${_cargo_archgen_spec/ -F $_cargo_archgen_previous / -F _cargo_archgen_cargo }"
else
    _cargo_archgen_previous=
    complete -F _cargo_archgen_cargo -o bashdefault -o default cargo
fi
unset _cargo_archgen_spec
