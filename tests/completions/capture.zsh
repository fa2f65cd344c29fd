#!/usr/bin/env zsh
# Completes one command line in a real interactive zsh and prints each match as `MATCH:<word>`.
# Usage: zsh capture.zsh SETUP_FILE 'command line to complete'
# SETUP_FILE is sourced after `compinit` (it loads the completion scripts under test). The inner
# shell runs in a pseudo-terminal (zsh/zpty); `compadd` is wrapped to print what it would add.
zmodload zsh/zpty || { print -u2 'error: zsh/zpty is missing'; exit 1 }
setup=$1 line=$2
init=$(mktemp) || exit 1
trap 'rm -f $init' EXIT
cat > $init <<INIT
PROMPT= RPROMPT=
unsetopt zle_bracketed_paste 2>/dev/null
autoload -Uz compinit && compinit -u -D
source ${(q)setup}
compadd () {
    # Calls that only ask (into an array, or filter one) go through unchanged.
    if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
        builtin compadd "\$@"
        return
    fi
    typeset -a __hits
    builtin compadd -A __hits "\$@"
    local hit
    for hit in \$__hits; do print -r -- $'\\nMATCH:'"\$hit"; done
}
comppostfuncs=(__done)
__done () { print -r -- 'DONE'; exit }
bindkey '^I' complete-word
print -r -- READY
INIT
zpty z zsh -f -i
zpty -w z "source ${(q)init}"
# Wait for the inner shell to be ready, then complete the line.
local out
repeat 50; do
    zpty -r -t z out 2>/dev/null && [[ $out == *READY* ]] && break
    sleep 0.1
done
zpty -w -n z "$line"$'\t'
local all=
repeat 600; do
    if zpty -r -t z out 2>/dev/null; then
        all+=$out
        [[ $all == *DONE* ]] && break
    else
        sleep 0.05
    fi
done
zpty -d z
print -r -- ${(F)${(M)${(f)all//$'\r'/}:#MATCH:*}}
