package patcher

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// This file reads and rewrites pi-ai's dist/models.generated.js, the model
// catalog Clawdbot picks its Anthropic endpoint from. The file is generated:
//
//	export const MODELS = {
//	    "anthropic": {
//	        "claude-3-5-haiku-20241022": {
//	            id: "claude-3-5-haiku-20241022",
//	            api: "anthropic-messages",
//	            provider: "anthropic",
//	            baseUrl: "https://api.anthropic.com",
//	            ...
//
// Rather than trusting that layout line by line, the file is tokenized as
// JavaScript and the MODELS object literal is walked as provider -> model ->
// fields. A file that does not parse that way (half written during an
// install, truncated, missing the export) is not touched.
//
// A rewritten base URL carries a marker comment right after the string,
// `baseUrl: "http://127.0.0.1:4000" /* clawbridge */,`, so that undo puts
// back exactly what was there and a later run with another base URL finds
// the URLs it moved. A block comment stays valid however the file is laid
// out, even minified. The marker does not repeat the Anthropic host, so
// `grep api.anthropic.com` on a patched file finds nothing.

// AnthropicBaseURL is the base URL pi-ai ships for Anthropic's own models.
const AnthropicBaseURL = "https://api.anthropic.com"

const (
	anthropicHost = "api.anthropic.com"
	markerPrefix  = "/* clawbridge"
	markerPlain   = "/* clawbridge */"
	// markerWasFmt records an original that was not the canonical
	// AnthropicBaseURL, as its raw string literal, so undo can restore it.
	markerWasFmt = "/* clawbridge: was %s */"
)

// ErrNotCatalog marks a file that is not a complete model catalog (of its
// Format): truncated, half written, or some other module. Callers skip it
// and look again after the next change.
var ErrNotCatalog = errors.New("not a complete model catalog")

// catalog is what patching needs to know about one models.generated.js.
type catalog struct {
	sites     []site
	providers int
	models    int
}

// site is one model's baseUrl that is, or was made by clawbridge from, an
// Anthropic API URL.
type site struct {
	provider, model string
	// value is the decoded URL; [start,end) the string literal's bytes.
	value      string
	start, end int
	// marked reports a clawbridge marker after the literal, spanning
	// [end,markEnd) including the space before it; orig is the raw
	// literal undo restores ("" for a marker that records none).
	marked  bool
	markEnd int
	orig    string
}

// parseCatalog finds every Anthropic base URL in a models.generated.js.
func parseCatalog(src []byte) (*catalog, error) { return parseJSModule(src, "MODELS", false) }

// parseJSModule finds every Anthropic base URL in a generated pi-ai module
// exporting the object literal name: provider -> model -> fields, or with
// flat (providers/anthropic.models.js) model -> fields of one provider.
func parseJSModule(src []byte, name string, flat bool) (*catalog, error) {
	p, models, err := parseExport(src, name)
	if err != nil {
		return nil, err
	}
	providers := models.members
	if flat {
		providers = []objMember{{key: "anthropic", value: value{obj: models}}}
	}
	c := &catalog{}
	anthropicMessages := 0
	err = c.eachModel(providers, func(prov, model string, fields *object) error {
		if prov == "anthropic" && fields.str("provider") == "anthropic" && fields.str("api") == "anthropic-messages" {
			anthropicMessages++
		}
		if s, ok := p.site(prov, model, fields); ok {
			c.sites = append(c.sites, s)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if anthropicMessages == 0 {
		return nil, fmt.Errorf("%w: no anthropic provider with anthropic-messages models", ErrNotCatalog)
	}
	return c, nil
}

// eachModel calls fn with every model of every group (provider or API)
// of a catalog, counting both; a group or model that is not an object
// makes the file no catalog.
func (c *catalog) eachModel(groups []objMember, fn func(group, model string, fields *object) error) error {
	for _, g := range groups {
		if g.value.obj == nil {
			return fmt.Errorf("%w: %q is not an object", ErrNotCatalog, g.key)
		}
		c.providers++
		for _, m := range g.value.obj.members {
			if m.value.obj == nil {
				return fmt.Errorf("%w: model %s/%s is not an object", ErrNotCatalog, g.key, m.key)
			}
			c.models++
			if err := fn(g.key, m.key, m.value.obj); err != nil {
				return err
			}
		}
	}
	return nil
}

// parseExport parses the object literal of `export const name = {...};`
// in a generated pi-ai module.
func parseExport(src []byte, name string) (*parser, *object, error) {
	return parseTop(src, name)
}

// parseTop tokenizes src and parses its one object: with a name, the
// literal of `export const name = {...};`; with "", the whole of src as a
// JSON object with nothing after it.
func parseTop(src []byte, name string) (*parser, *object, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrNotCatalog, err)
	}
	p := &parser{src: src, toks: toks}
	if name != "" {
		if p.i = p.findExport(name); p.i < 0 {
			return nil, nil, fmt.Errorf("%w: no `export const %s = {`", ErrNotCatalog, name)
		}
	}
	obj, err := p.object()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrNotCatalog, err)
	}
	t, more := p.next()
	switch {
	case name != "" && (!more || p.punct(t) != ';'):
		return nil, nil, fmt.Errorf("%w: %s object not followed by `;`", ErrNotCatalog, name)
	case name == "" && more:
		return nil, nil, fmt.Errorf("%w: %q after the top-level object at offset %d", ErrNotCatalog, p.text(t), t.start)
	}
	return p, obj, nil
}

// site reports the model's baseUrl when it is Anthropic's or carries a
// clawbridge marker.
func (p *parser) site(provider, model string, fields *object) (site, bool) {
	s, lit, ok := p.baseURL(provider, model, fields)
	if !ok {
		return site{}, false
	}
	if m := lit.idx + 1; m < len(p.toks) && p.toks[m].kind == tokComment &&
		bytes.HasPrefix(p.src[p.toks[m].start:p.toks[m].end], []byte(markerPrefix)) &&
		onlySpaces(p.src[lit.end:p.toks[m].start]) {
		s.marked = true
		s.markEnd = p.toks[m].end
		s.orig = canonicalLiteral
		text := string(p.src[p.toks[m].start:p.toks[m].end])
		if was, ok := strings.CutPrefix(text, "/* clawbridge: was "); ok {
			s.orig = strings.TrimSuffix(was, " */")
			if !isStringLiteral(s.orig) {
				s.orig = "" // not a marker clawbridge wrote: nothing to restore
			}
		}
		return s, true
	}
	return s, isAnthropicURL(lit.text)
}

// baseURL is the site of the model's baseUrl string as the file has it,
// and the literal; false when the model has no baseUrl string.
func (p *parser) baseURL(provider, model string, fields *object) (site, *strLit, bool) {
	f := fields.member("baseUrl")
	if f == nil || f.value.str == nil {
		return site{}, nil, false
	}
	lit := f.value.str
	return site{
		provider: provider,
		model:    model,
		value:    lit.text,
		start:    lit.start,
		end:      lit.end,
		orig:     string(p.src[lit.start:lit.end]),
	}, lit, true
}

// isStringLiteral reports whether s is exactly one complete JavaScript
// string literal, the only thing undo may put back in a baseUrl.
func isStringLiteral(s string) bool {
	toks, err := tokenize([]byte(s))
	return err == nil && len(toks) == 1 && toks[0].kind == tokString && toks[0].start == 0 && toks[0].end == len(s)
}

func isAnthropicURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && strings.EqualFold(u.Hostname(), anthropicHost)
}

func onlySpaces(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// counts reports how many Anthropic base URLs the catalog has, and how many
// of them point at baseURL.
func (c *catalog) counts(baseURL string) (total, patched int) {
	for _, s := range c.sites {
		if s.marked && s.value == baseURL {
			patched++
		}
	}
	return len(c.sites), patched
}

// patchCatalog points every Anthropic base URL in src at baseURL (already
// validated by CheckBaseURL). It returns the new content and how many URLs
// it rewrote; zero means src is already patched and comes back unchanged.
func patchCatalog(src []byte, baseURL string) ([]byte, int, error) {
	return patchAs(ModelsJS, src, baseURL)
}

// undoCatalog restores every base URL clawbridge rewrote to its original,
// byte for byte. It returns how many it restored.
func undoCatalog(src []byte) ([]byte, int, error) {
	return undoAs(ModelsJS, src)
}

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// applyEdits applies edits, which are in file order and do not overlap.
func applyEdits(src []byte, edits []edit) []byte {
	if len(edits) == 0 {
		return src
	}
	out := make([]byte, 0, len(src)+len(edits)*32)
	at := 0
	for _, e := range edits {
		out = append(out, src[at:e.start]...)
		out = append(out, e.text...)
		at = e.end
	}
	return append(out, src[at:]...)
}

// --- tokenizer ---

type tokKind int

const (
	tokPunct   tokKind = iota // one of {}[]:,;=()
	tokString                 // "…", '…' or `…`
	tokComment                // // … or /* … */
	tokWord                   // identifiers, keywords, numbers, other runs
)

type token struct {
	kind       tokKind
	start, end int
}

// tokenize splits src into the tokens the catalog parser needs. It is not a
// full JavaScript lexer (no regular expressions, no template
// substitutions), which the generated catalog never uses; anything it cannot
// read makes the file "not a catalog", never a wrong patch.
func tokenize(src []byte) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			j := bytes.IndexByte(src[i:], '\n')
			if j < 0 {
				j = len(src) - i
			}
			toks = append(toks, token{tokComment, i, i + j})
			i += j
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			j := bytes.Index(src[i+2:], []byte("*/"))
			if j < 0 {
				return nil, fmt.Errorf("unterminated comment at offset %d", i)
			}
			toks = append(toks, token{tokComment, i, i + 2 + j + 2})
			i += 2 + j + 2
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for ; j < len(src) && src[j] != c; j++ {
				if src[j] == '\\' {
					j++
				} else if src[j] == '\n' && c != '`' {
					return nil, fmt.Errorf("newline in string at offset %d", i)
				}
			}
			if j >= len(src) {
				return nil, fmt.Errorf("unterminated string at offset %d", i)
			}
			toks = append(toks, token{tokString, i, j + 1})
			i = j + 1
		case strings.IndexByte("{}[]:,;=()", c) >= 0:
			toks = append(toks, token{tokPunct, i, i + 1})
			i++
		default:
			j := i + 1
			for j < len(src) && !isBreak(src[j]) {
				j++
			}
			toks = append(toks, token{tokWord, i, j})
			i = j
		}
	}
	return toks, nil
}

func isBreak(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '`' ||
		c == '/' || strings.IndexByte("{}[]:,;=()", c) >= 0
}

// --- object-literal parser ---

type parser struct {
	src  []byte
	toks []token
	i    int
}

// object is a parsed object literal; only what patching needs is kept.
type object struct {
	members []objMember
}

type objMember struct {
	key   string
	value value
}

// value is an object, a string literal, or something else (both nil).
type value struct {
	obj *object
	str *strLit
}

type strLit struct {
	text       string
	idx        int // token index
	start, end int
}

func (o *object) member(key string) *objMember {
	for i := range o.members {
		if o.members[i].key == key {
			return &o.members[i]
		}
	}
	return nil
}

func (o *object) str(key string) string {
	if m := o.member(key); m != nil && m.value.str != nil {
		return m.value.str.text
	}
	return ""
}

func (p *parser) text(t token) string { return string(p.src[t.start:t.end]) }

func (p *parser) punct(t token) byte {
	if t.kind != tokPunct {
		return 0
	}
	return p.src[t.start]
}

// next returns the next token that is not a comment.
func (p *parser) next() (token, bool) {
	for p.i < len(p.toks) {
		t := p.toks[p.i]
		p.i++
		if t.kind != tokComment {
			return t, true
		}
	}
	return token{}, false
}

func (p *parser) peek() (token, bool) {
	save := p.i
	t, ok := p.next()
	p.i = save
	return t, ok
}

// findExport returns the token index of the `{` in `export const NAME = {`,
// or -1.
func (p *parser) findExport(name string) int {
	want := []string{"export", "const", name, "=", "{"}
	var idx []int
	for i, t := range p.toks {
		if t.kind != tokComment {
			idx = append(idx, i)
		}
	}
	for k := 0; k+len(want) <= len(idx); k++ {
		match := true
		for j, w := range want {
			if p.text(p.toks[idx[k+j]]) != w {
				match = false
				break
			}
		}
		if match {
			return idx[k+4]
		}
	}
	return -1
}

// object parses an object literal starting at the `{` token.
func (p *parser) object() (*object, error) {
	open, ok := p.next()
	if !ok || p.punct(open) != '{' {
		return nil, errors.New("expected `{`")
	}
	o := &object{}
	for {
		t, ok := p.next()
		if !ok {
			return nil, fmt.Errorf("object opened at offset %d never closed", open.start)
		}
		if p.punct(t) == '}' {
			return o, nil
		}
		var key string
		switch t.kind {
		case tokString:
			key = p.unquote(t)
		case tokWord:
			key = p.text(t)
		default:
			return nil, fmt.Errorf("unexpected %q at offset %d", p.text(t), t.start)
		}
		if c, ok := p.next(); !ok || p.punct(c) != ':' {
			return nil, fmt.Errorf("expected `:` after key %q at offset %d", key, t.start)
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		o.members = append(o.members, objMember{key: key, value: v})
		sep, ok := p.next()
		if !ok {
			return nil, fmt.Errorf("object opened at offset %d never closed", open.start)
		}
		switch p.punct(sep) {
		case ',':
		case '}':
			return o, nil
		default:
			return nil, fmt.Errorf("unexpected %q at offset %d", p.text(sep), sep.start)
		}
	}
}

// value parses one property value: an object, an array, a lone string, or
// any other run of tokens up to the next `,` `}` or `]` at this level.
func (p *parser) value() (value, error) {
	t, ok := p.peek()
	if !ok {
		return value{}, errors.New("missing value at end of file")
	}
	if p.punct(t) == '{' {
		o, err := p.object()
		return value{obj: o}, err
	}
	startIdx := p.i
	depth := 0
	n := 0
	for {
		t, ok := p.peek()
		if !ok {
			return value{}, errors.New("value runs to end of file")
		}
		c := p.punct(t)
		if depth == 0 && (c == ',' || c == '}' || c == ']' || c == ';') {
			break
		}
		switch c {
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
		}
		p.next()
		n++
	}
	if n == 0 {
		return value{}, fmt.Errorf("missing value at offset %d", t.start)
	}
	if n == 1 {
		// The one non-comment token starting at startIdx.
		for k := startIdx; k < p.i; k++ {
			if tk := p.toks[k]; tk.kind == tokString {
				return value{str: &strLit{text: p.unquote(tk), idx: k, start: tk.start, end: tk.end}}, nil
			}
		}
	}
	return value{}, nil
}

// unquote decodes a string literal. Escapes beyond Go's are left as
// written: the values compared here (provider names, URLs) have none.
func (p *parser) unquote(t token) string {
	raw := p.text(t)
	if raw[0] == '"' {
		if s, err := strconv.Unquote(raw); err == nil {
			return s
		}
	}
	return raw[1 : len(raw)-1]
}
