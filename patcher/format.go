package patcher

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
)

// Format is the kind of file a catalog is: where in a package it lives and
// how its Anthropic base URLs are found.
type Format int

const (
	// ModelsJS is pi-ai's dist/models.generated.js, a JavaScript module
	// exporting `MODELS`: @mariozechner/pi-ai up to 0.73 and
	// @earendil-works/pi-ai 0.74 to 0.79 (Clawdbot and OpenClaw up to
	// 2026.5.27 depend on these).
	ModelsJS Format = iota
	// ProviderModelsJS is @earendil-works/pi-ai 0.80's
	// dist/providers/anthropic.models.js, the same literal split per
	// provider (`export const ANTHROPIC_MODELS = {model: {...}}`).
	ProviderModelsJS
	// ProviderJSON is pi-ai's dist/providers/data/anthropic.json, minified
	// JSON keyed by API and model, which replaced the JavaScript literals
	// from @earendil-works/pi-ai 0.81 on (1.x too).
	ProviderJSON
)

// OpenClaw 2026.5.27 and later also ship
// dist/extensions/anthropic/openclaw.plugin.json, whose
// modelCatalog.providers.anthropic.baseUrl reads like the endpoint. It is
// not a catalog here: with that field pointed at a local server,
// OpenClaw 2026.6.35 and 2026.9.6 still sent their Anthropic requests to
// api.anthropic.com (the URL is also compiled into their JavaScript). The
// config route is what moves them.

// String names the format by its file, for logs and status.
func (f Format) String() string {
	switch f {
	case ModelsJS:
		return "models.generated.js"
	case ProviderModelsJS:
		return "providers/anthropic.models.js"
	case ProviderJSON:
		return "providers/data/anthropic.json"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Rel is the file's path inside its package.
func (f Format) Rel() string {
	switch f {
	case ProviderModelsJS:
		return filepath.Join("dist", "providers", "anthropic.models.js")
	case ProviderJSON:
		return filepath.Join("dist", "providers", "data", "anthropic.json")
	}
	return catalogRel
}

// parse finds the Anthropic base URLs of a file in format f.
func (f Format) parse(src []byte) (*catalog, error) {
	switch f {
	case ModelsJS:
		return parseCatalog(src)
	case ProviderModelsJS:
		return parseJSModule(src, "ANTHROPIC_MODELS", true)
	case ProviderJSON:
		return parseProviderJSON(src)
	}
	return nil, fmt.Errorf("%w: unknown format %d", ErrNotCatalog, int(f))
}

// isJSON reports a format that is plain JSON: no room for a marker
// comment (see jsonSite).
func (f Format) isJSON() bool { return f == ProviderJSON }

// The JSON format is read with the JavaScript tokenizer and object parser
// of catalog.go (JSON is a subset of what they accept), which gives every
// string's byte offsets, so a patch changes the base URL's bytes and
// nothing else. JSON has no comments to carry a marker; instead, inside
// the Anthropic provider's scope a base URL that is not Anthropic's can
// only have been put there by clawbridge (the package ships
// "https://api.anthropic.com" and nothing else there), and undo writes the
// canonical literal back. Patch refuses an original it could not restore
// byte for byte.

// parseJSONObject parses src as one JSON object and nothing after it.
func parseJSONObject(src []byte) (*parser, *object, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrNotCatalog, err)
	}
	p := &parser{src: src, toks: toks}
	obj, err := p.object()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrNotCatalog, err)
	}
	if t, ok := p.next(); ok {
		return nil, nil, fmt.Errorf("%w: %q after the top-level object at offset %d", ErrNotCatalog, p.text(t), t.start)
	}
	return p, obj, nil
}

// parseProviderJSON reads pi-ai's providers/data/anthropic.json:
//
//	{"anthropic-messages":{"chat:claude-fable-5":{"id":"claude-fable-5",
//	  "api":"anthropic-messages","provider":"anthropic",
//	  "baseUrl":"https://api.anthropic.com",...},...}}
//
// (0.87 keys models by id alone, 1.x prefixes the kind, "chat:"; 0.81
// has no API level: {"claude-fable-5":{...},...}).
func parseProviderJSON(src []byte) (*catalog, error) {
	p, top, err := parseJSONObject(src)
	if err != nil {
		return nil, err
	}
	groups := top.members
	if isFlatProviderJSON(top) {
		groups = []objMember{{key: providerAPI, value: value{obj: top}}}
	}
	c := &catalog{}
	for _, api := range groups {
		if api.value.obj == nil {
			return nil, fmt.Errorf("%w: %q is not an object", ErrNotCatalog, api.key)
		}
		c.providers++
		for _, m := range api.value.obj.members {
			if m.value.obj == nil {
				return nil, fmt.Errorf("%w: model %s/%s is not an object", ErrNotCatalog, api.key, m.key)
			}
			c.models++
			fields := m.value.obj
			if fields.str("provider") != "anthropic" || fields.str("api") != providerAPI {
				continue
			}
			s, ok := p.jsonSite("anthropic", m.key, fields)
			if !ok {
				return nil, fmt.Errorf("%w: model %s has no baseUrl string", ErrNotCatalog, m.key)
			}
			c.sites = append(c.sites, s)
		}
	}
	if len(c.sites) == 0 {
		return nil, fmt.Errorf("%w: no anthropic-messages model of provider anthropic", ErrNotCatalog)
	}
	return c, nil
}

// isFlatProviderJSON reports the 0.81 layout: the top level holds models
// (objects with a string "provider") rather than API groups.
func isFlatProviderJSON(top *object) bool {
	if len(top.members) == 0 || top.members[0].value.obj == nil {
		return false
	}
	m := top.members[0].value.obj.member("provider")
	return m != nil && m.value.str != nil
}

// canonicalLiteral is the only original a JSON base URL is patched from.
var canonicalLiteral = strconv.Quote(AnthropicBaseURL)

// jsonSite is the baseUrl of an object in the Anthropic scope of a JSON
// catalog: an Anthropic URL, or one clawbridge wrote (marked).
func (p *parser) jsonSite(provider, model string, fields *object) (site, bool) {
	f := fields.member("baseUrl")
	if f == nil || f.value.str == nil {
		return site{}, false
	}
	lit := f.value.str
	s := site{
		provider: provider,
		model:    model,
		value:    lit.text,
		start:    lit.start,
		end:      lit.end,
		orig:     string(p.src[lit.start:lit.end]),
	}
	if !isAnthropicURL(lit.text) {
		s.marked, s.markEnd, s.orig = true, lit.end, canonicalLiteral
	}
	return s, true
}

// patchAs is patchCatalog for any format.
func patchAs(f Format, src []byte, baseURL string) ([]byte, int, error) {
	c, err := f.parse(src)
	if err != nil {
		return nil, 0, err
	}
	if !f.isJSON() {
		return patchMarked(c, src, baseURL)
	}
	lit := strconv.Quote(baseURL)
	var edits []edit
	for _, s := range c.sites {
		switch {
		case s.marked && s.value == baseURL:
			continue
		case !s.marked && s.orig != canonicalLiteral:
			return nil, 0, fmt.Errorf("%s/%s: base URL %s is not %s; clawbridge could not restore it exactly, so leaves it alone", s.provider, s.model, s.orig, canonicalLiteral)
		}
		edits = append(edits, edit{s.start, s.end, lit})
	}
	out := applyEdits(src, edits)
	if !json.Valid(out) {
		return nil, 0, errors.New("patched file is not valid JSON")
	}
	return out, len(edits), nil
}

// undoAs is undoCatalog for any format.
func undoAs(f Format, src []byte) ([]byte, int, error) {
	c, err := f.parse(src)
	if err != nil {
		return nil, 0, err
	}
	if !f.isJSON() {
		return undoMarked(c, src)
	}
	var edits []edit
	for _, s := range c.sites {
		if s.marked {
			edits = append(edits, edit{s.start, s.markEnd, s.orig})
		}
	}
	return applyEdits(src, edits), len(edits), nil
}
