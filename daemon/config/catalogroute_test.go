package config

import (
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/assets"
)

// releaseCatalogs are the Anthropic catalogs of the releases clawbridge is
// tested with, as docs/openclaw-releases.md lists them: pi-ai's
// models.generated.js for the pi-ai releases, the anthropic plugin's
// modelCatalog for 2026.6 and later (2026.5.27 ships both; its manifest
// lists a subset of its pi-ai catalog).
var releaseCatalogs = []struct {
	release string
	ids     []string
}{
	{"clawdbot 2026.1.24-3", []string{
		"claude-3-5-haiku-20241022", "claude-3-5-haiku-latest", "claude-3-5-sonnet-20240620",
		"claude-3-5-sonnet-20241022", "claude-3-7-sonnet-20250219", "claude-3-7-sonnet-latest",
		"claude-3-haiku-20240307", "claude-3-opus-20240229", "claude-3-sonnet-20240229",
		"claude-haiku-4-5", "claude-haiku-4-5-20251001", "claude-opus-4-0", "claude-opus-4-1",
		"claude-opus-4-1-20250805", "claude-opus-4-20250514", "claude-opus-4-5",
		"claude-opus-4-5-20251101", "claude-sonnet-4-0", "claude-sonnet-4-20250514",
		"claude-sonnet-4-5", "claude-sonnet-4-5-20250929",
	}},
	{"openclaw 2026.5.7", []string{
		"claude-3-5-haiku-20241022", "claude-3-5-haiku-latest", "claude-3-5-sonnet-20240620",
		"claude-3-5-sonnet-20241022", "claude-3-7-sonnet-20250219", "claude-3-haiku-20240307",
		"claude-3-opus-20240229", "claude-3-sonnet-20240229", "claude-haiku-4-5",
		"claude-haiku-4-5-20251001", "claude-opus-4-0", "claude-opus-4-1", "claude-opus-4-1-20250805",
		"claude-opus-4-20250514", "claude-opus-4-5", "claude-opus-4-5-20251101", "claude-opus-4-6",
		"claude-opus-4-7", "claude-sonnet-4-0", "claude-sonnet-4-20250514", "claude-sonnet-4-5",
		"claude-sonnet-4-5-20250929", "claude-sonnet-4-6",
	}},
	{"openclaw 2026.5.27", []string{
		"claude-3-5-haiku-20241022", "claude-3-5-haiku-latest", "claude-3-5-sonnet-20240620",
		"claude-3-5-sonnet-20241022", "claude-3-7-sonnet-20250219", "claude-3-haiku-20240307",
		"claude-3-opus-20240229", "claude-3-sonnet-20240229", "claude-haiku-4-5",
		"claude-haiku-4-5-20251001", "claude-opus-4-0", "claude-opus-4-1", "claude-opus-4-1-20250805",
		"claude-opus-4-20250514", "claude-opus-4-5", "claude-opus-4-5-20251101", "claude-opus-4-6",
		"claude-opus-4-7", "claude-sonnet-4-0", "claude-sonnet-4-20250514", "claude-sonnet-4-5",
		"claude-sonnet-4-5-20250929", "claude-sonnet-4-6",
	}},
	{"openclaw 2026.6.35", []string{
		"claude-fable-5", "claude-opus-4-8", "claude-opus-4-7", "claude-haiku-4-5",
		"claude-haiku-4-5-20251001", "claude-sonnet-4-6", "claude-opus-4-6",
	}},
	{"openclaw 2026.9.6", []string{
		"claude-opus-5-5", "claude-fable-5-1", "claude-fable-5", "claude-opus-5",
		"claude-sonnet-5", "claude-mythos-5", "claude-opus-4-8", "claude-haiku-4-5",
	}},
}

// tierAlias is the default config's alias a catalog id should reach: its
// family's, and the sonnet entry for a family the config does not name.
func tierAlias(id string) string {
	for _, f := range []string{"haiku", "opus"} {
		if strings.Contains(id, "-"+f) {
			return "claude-" + f + "-4-5"
		}
	}
	return "claude-sonnet-4-5"
}

// TestDefaultConfigRoutesReleaseCatalogs: with the config clawbridge
// writes on first start, every model id in the Anthropic catalog of every
// tested release reaches an alias, and the one of its tier, with and
// without the "anthropic/" prefix OpenClaw's config uses.
func TestDefaultConfigRoutesReleaseCatalogs(t *testing.T) {
	cfg, err := Parse(assets.DefaultConfig, "config.default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range releaseCatalogs {
		t.Run(rc.release, func(t *testing.T) {
			if len(rc.ids) == 0 {
				t.Fatal("no ids")
			}
			for _, id := range rc.ids {
				for _, name := range []string{id, "anthropic/" + id} {
					r, err := cfg.Route(name)
					if err != nil {
						t.Errorf("%s: %v", name, err)
						continue
					}
					if want := tierAlias(id); r.Alias != want {
						t.Errorf("%s routes to %s, want %s", name, r.Alias, want)
					}
				}
			}
		})
	}
}
