// Package shellquote writes command lines the way a user types them into
// a POSIX shell (sh, bash, zsh): the words clawbridge shows to be copied,
// such as the login agent's command and the gateway's TUI command.
package shellquote

import "strings"

// safe are the characters a word may hold and still need no quotes.
const safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,"

// Word quotes w for a POSIX shell: as it is when it needs no quotes, else
// in single quotes, inside which nothing ($, backquotes, \, ") is special;
// a single quote itself is written '\”.
func Word(w string) string {
	if w != "" && strings.Trim(w, safe) == "" {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

// Join quotes each word with Word and joins them with spaces.
func Join(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = Word(w)
	}
	return strings.Join(out, " ")
}
