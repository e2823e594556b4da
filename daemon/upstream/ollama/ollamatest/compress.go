package ollamatest

import (
	"strings"
	"unicode/utf8"
)

// Prompt compression. A byte per token makes Clawdbot's ~40k-character
// prompts ~40k tokens, and llama.cpp's prompt evaluation grows with the
// square of that (the attention mask alone has a cell per token pair), so
// the vocabulary also holds pieces that the SentencePiece tokenizer merges
// common text into: llama.cpp merges adjacent symbols whenever their
// concatenation is a token, highest score first, so a word is reachable
// when all its prefixes are tokens. These tokens only shorten prompts;
// they never affect a reply, which depends on the prompt's last token
// alone.

// promptWords are frequent words of English prose, tool schemas and
// agent prompts. Each becomes a prefix chain in four spellings: after a
// space ("▁word"), capitalised after a space, after a quote (JSON keys and
// values) and bare.
const promptWords = `
the be to of and a an in on at by for with from into onto about as is are was were been being has have had do does did
not no nor or but if then else when while where which who whom whose what why how that this these those there here
it its they them their we us our you your he him his she her i me my one two all any each every some such more most
other only own same so than too very can will just should would could may might must shall also back after before
again further once both few many much up down out over under between through during above below off still never always
use used using make made get got set give take see look find know think say said need want like try run call return
new old first last next good great small large long high right left full empty true false null none yes ok
function tool tools name names type types string object array number integer boolean value values default enum items
description properties property required optional parameter parameters argument arguments schema format example examples
command commands path paths file files directory folder text content message messages user users assistant system
result results error errors output input request response model models session sessions channel channels config
read write edit search list send reply replies memory current time date url query id data code line lines
skill skills agent agents task tasks workspace project note notes status state process browser web page link
search fetch open close start stop create update delete remove add show check test build install
`

// promptPieces are punctuation runs common in JSON, Markdown and prompts.
var promptPieces = []string{
	`{"`, `"}`, `":"`, `","`, `":{"`, `"},"`, `"}}`, `}}`, `":[`, `"]`, `"],"`, `":`, `",`,
	"\":\u2581\"", "\",\u2581\"", "\n\n", ".\n", ",\u2581", ".\u2581", ":\u2581", "\u2581-\u2581", "\n-\u2581",
	"##", "\u2581(", ")\u2581", "**", "```", "\u2581`", "`\u2581", "...", "\u2581\u2581", "\u2581\u2581\u2581\u2581",
}

// compressionPieces lists the prompt-compression tokens, each with every
// prefix of two or more characters, in a stable order without duplicates.
func compressionPieces() []string {
	seen := map[string]bool{}
	var out []string
	chain := func(s string) {
		for i := range s {
			if i == 0 {
				continue
			}
			if p := s[:i]; utf8.RuneCountInString(p) >= 2 && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
		if utf8.RuneCountInString(s) >= 2 && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for c := 'a'; c <= 'z'; c++ {
		for d := 'a'; d <= 'z'; d++ {
			chain(string([]rune{c, d}))
		}
		chain("\u2581" + string(c))
		chain("\u2581" + strings.ToUpper(string(c)))
	}
	for _, w := range strings.Fields(promptWords) {
		title := strings.ToUpper(w[:1]) + w[1:]
		for _, s := range []string{"\u2581" + w, "\u2581" + title, `"` + w, w, title} {
			chain(s)
		}
	}
	for _, p := range promptPieces {
		chain(p)
	}
	return out
}
