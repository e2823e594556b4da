package patcher

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
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
func (f Format) String() string { return nameOf(f, formatNames[:], "Format") }

var formatNames = [...]string{
	ModelsJS:         "models.generated.js",
	ProviderModelsJS: "providers/anthropic.models.js",
	ProviderJSON:     "providers/data/anthropic.json",
}

// nameOf is the String of the package's enumerations: names[v], or, for a
// value without a name, typ(v) rather than an empty string.
func nameOf[E ~int](v E, names []string, typ string) string {
	if v >= 0 && int(v) < len(names) && names[v] != "" {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, int(v))
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
	return parseTop(src, "")
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
	c := &catalog{}
	err = c.eachModel(providerJSONGroups(top), func(_, model string, fields *object) error {
		if fields.str("provider") != "anthropic" || fields.str("api") != providerAPI {
			return nil
		}
		s, ok := p.jsonSite("anthropic", model, fields)
		if !ok {
			return fmt.Errorf("%w: model %s has no baseUrl string", ErrNotCatalog, model)
		}
		c.sites = append(c.sites, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(c.sites) == 0 {
		return nil, fmt.Errorf("%w: no anthropic-messages model of provider anthropic", ErrNotCatalog)
	}
	return c, nil
}

// providerJSONGroups returns the API groups of a providers JSON file; the
// 0.81 layout, whose top level holds models (objects with a string
// "provider") rather than groups, reads as one group.
func providerJSONGroups(top *object) []objMember {
	if len(top.members) == 0 || top.members[0].value.obj == nil {
		return top.members
	}
	if m := top.members[0].value.obj.member("provider"); m == nil || m.value.str == nil {
		return top.members
	}
	return []objMember{{key: providerAPI, value: value{obj: top}}}
}

// canonicalLiteral is the only original a JSON base URL is patched from.
var canonicalLiteral = strconv.Quote(AnthropicBaseURL)

// jsonSite is the baseUrl of an object in the Anthropic scope of a JSON
// catalog: an Anthropic URL, or one clawbridge wrote (marked).
func (p *parser) jsonSite(provider, model string, fields *object) (site, bool) {
	s, lit, ok := p.baseURL(provider, model, fields)
	if !ok {
		return site{}, false
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
	if len(c.sites) == 0 {
		return nil, 0, fmt.Errorf("%w: no Anthropic base URL found", ErrNotCatalog)
	}
	lit := strconv.Quote(baseURL)
	var edits []edit
	for _, s := range c.sites {
		if s.marked && s.value == baseURL {
			continue
		}
		text, err := f.patchText(s, lit)
		if err != nil {
			return nil, 0, err
		}
		edits = append(edits, edit{s.start, s.end, text})
	}
	out := applyEdits(src, edits)
	if f.isJSON() && !json.Valid(out) {
		return nil, 0, errors.New("patched file is not valid JSON")
	}
	return out, len(edits), nil
}

// patchText is what replaces site s's literal to point it at lit. JSON
// takes the bare literal, and only over the canonical original, the one
// undo can write back; JavaScript follows the literal with a marker
// comment, which records any other original.
func (f Format) patchText(s site, lit string) (string, error) {
	switch {
	case s.marked:
		return lit, nil
	case f.isJSON() && s.orig != canonicalLiteral:
		return "", fmt.Errorf("%s/%s: base URL %s is not %s; clawbridge could not restore it exactly, so leaves it alone", s.provider, s.model, s.orig, canonicalLiteral)
	case f.isJSON():
		return lit, nil
	case s.orig == canonicalLiteral:
		return lit + " " + markerPlain, nil
	case strings.Contains(s.orig, "*/"):
		return "", fmt.Errorf("%s/%s: base URL %s cannot be recorded in a comment", s.provider, s.model, s.orig)
	}
	return lit + " " + fmt.Sprintf(markerWasFmt, s.orig), nil
}

// undoAs is undoCatalog for any format.
func undoAs(f Format, src []byte) ([]byte, int, error) {
	c, err := f.parse(src)
	if err != nil {
		return nil, 0, err
	}
	var edits []edit
	for _, s := range c.sites {
		if s.marked {
			if s.orig == "" {
				return nil, 0, fmt.Errorf("%s/%s: the clawbridge marker records no original base URL; reinstall pi-ai to restore it", s.provider, s.model)
			}
			edits = append(edits, edit{s.start, s.markEnd, s.orig})
		}
	}
	return applyEdits(src, edits), len(edits), nil
}
