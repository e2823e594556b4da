package patcher

import (
	"github.com/clawbridge/clawbridge/patcher/apptest"

	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFormatModelIDs reads the Anthropic model ids of every catalog format
// from the committed fixtures (the ids Node.js finds in them), patched or
// not, and refuses what is not a catalog.
func TestFormatModelIDs(t *testing.T) {
	for _, tt := range []struct {
		file   string
		format Format
		want   string
	}{
		{"pi-ai-0.49.3.models.generated.js", ModelsJS, "claude-3-5-haiku-20241022 claude-3-5-haiku-latest claude-3-5-sonnet-20240620 claude-3-5-sonnet-20241022 claude-3-7-sonnet-20250219 claude-3-7-sonnet-latest"},
		{"pi-ai-0.73.1.patched.js", ModelsJS, "claude-3-5-haiku-20241022 claude-3-5-haiku-latest claude-3-5-sonnet-20240620 claude-3-5-sonnet-20241022 claude-3-7-sonnet-20250219 claude-3-haiku-20240307"},
		{"pi-ai-0.75.5.models.generated.js", ModelsJS, "claude-3-5-haiku-20241022 claude-3-5-haiku-latest claude-3-5-sonnet-20240620 claude-3-5-sonnet-20241022 claude-3-7-sonnet-20250219 claude-3-haiku-20240307"},
		{"pi-ai-0.80.3.anthropic.models.js", ProviderModelsJS, "claude-3-5-sonnet-20240620 claude-3-5-sonnet-20241022 claude-3-7-sonnet-20250219"},
		{"pi-ai-0.81.1.anthropic.json", ProviderJSON, "claude-fable-5 claude-haiku-4-5 claude-haiku-4-5-20251001"},
		{"pi-ai-0.87.1.anthropic.json", ProviderJSON, "claude-fable-5 claude-fable-5-1 claude-haiku-4-5"},
		{"pi-ai-1.6.1.anthropic.json", ProviderJSON, "claude-fable-5 claude-fable-5-1 claude-fable-5-2"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			ids, err := tt.format.modelIDs(mustRead(t, filepath.Join("testdata", tt.file)))
			if err != nil || strings.Join(ids, " ") != tt.want {
				t.Errorf("ids %q, %v; want %s", ids, err, tt.want)
			}
		})
	}
	for _, tt := range []struct {
		name   string
		format Format
		src    string
	}{
		{"truncated module", ModelsJS, `export const MODELS = { "anthropic": { "a": { id: "a"`},
		{"no anthropic provider", ModelsJS, `export const MODELS = { "openai": { "gpt": { id: "gpt", provider: "openai" } } };`},
		{"other module", ProviderModelsJS, `export const OPENAI_MODELS = {};`},
		{"not JSON", ProviderJSON, `{"anthropic-messages":`},
		{"no anthropic model", ProviderJSON, `{"anthropic-messages":{"x":{"id":"x","provider":"other"}}}`},
	} {
		if ids, err := tt.format.modelIDs([]byte(tt.src)); !errors.Is(err, ErrNotCatalog) {
			t.Errorf("%s: ids %q, error %v; want ErrNotCatalog", tt.name, ids, err)
		}
	}
}

// manifest is an anthropic plugin manifest with the given model ids.
func manifest(defaultUtility string, ids ...string) []byte {
	var models []string
	for _, id := range ids {
		models = append(models, `{"id":"`+id+`","name":"x"}`)
	}
	extra := ""
	if defaultUtility != "" {
		extra = `"defaultUtilityModel":"` + defaultUtility + `",`
	}
	return []byte(`{"id":"anthropic","modelCatalog":{"providers":{"claude-cli":{"models":[{"id":"cli-only"}]},` +
		`"anthropic":{"baseUrl":"https://api.anthropic.com","api":"anthropic-messages",` + extra + `"models":[` + strings.Join(models, ",") + `]}}}}`)
}

// TestCatalogModelIDs lists an install's ids from its pi-ai catalog, its
// plugin manifest or both (each id once, the catalog's first), and says
// why when it has neither or one cannot be read.
func TestCatalogModelIDs(t *testing.T) {
	tmp := t.TempDir()
	install := func(name, app, version string) Install {
		project := filepath.Join(tmp, name)
		appPackage(t, filepath.Join(project, "node_modules", app), app, version)
		ins, err := FindInstalls(ProjectRoots([]string{project}))
		if err != nil || len(ins) != 1 {
			t.Fatalf("%s: installs %v, %v", name, ins, err)
		}
		return ins[0]
	}
	writeManifest := func(in Install, data []byte) {
		mustWrite(t, filepath.Join(in.RealDir, pluginManifestRel), data)
	}

	clawdbot := install("clawdbot", "clawdbot", "2026.1.24-3")
	npmPackage(t, filepath.Join(tmp, "clawdbot", "node_modules"), "0.49.3")

	both := install("both", "openclaw", "2026.5.27")
	earendilPackage(t, filepath.Join(tmp, "both", "node_modules", "@earendil-works", "pi-ai"), earendil075)
	writeManifest(both, manifest("", "claude-3-haiku-20240307", "claude-opus-4-7"))

	noCatalog := install("no-catalog", "openclaw", "2026.5.7")
	npmPackage(t, filepath.Join(tmp, "no-catalog", "node_modules"), "0.73.1")
	writeManifest(noCatalog, []byte(`{"id":"anthropic","providers":["anthropic"]}`))

	manifestOnly := install("manifest-only", "openclaw", "2026.9.6")
	writeManifest(manifestOnly, manifest("claude-haiku-4-5", "claude-opus-5-5", "claude-fable-5-1", "claude-mythos-5"))

	utilityListed := install("utility-listed", "openclaw", "2026.9.7")
	writeManifest(utilityListed, manifest("claude-haiku-4-5", "claude-haiku-4-5", "claude-sonnet-5"))

	for _, tt := range []struct {
		in   Install
		want string
	}{
		{clawdbot, "claude-3-5-haiku-20241022 claude-3-5-haiku-latest claude-3-5-sonnet-20240620 claude-3-5-sonnet-20241022 claude-3-7-sonnet-20250219 claude-3-7-sonnet-latest"},
		{both, "claude-3-5-haiku-20241022 claude-3-5-haiku-latest claude-3-5-sonnet-20240620 claude-3-5-sonnet-20241022 claude-3-7-sonnet-20250219 claude-3-haiku-20240307 claude-opus-4-7"},
		{noCatalog, "claude-3-5-haiku-20241022 claude-3-5-haiku-latest claude-3-5-sonnet-20240620 claude-3-5-sonnet-20241022 claude-3-7-sonnet-20250219 claude-3-haiku-20240307"},
		{manifestOnly, "claude-opus-5-5 claude-fable-5-1 claude-mythos-5 claude-haiku-4-5"},
		{utilityListed, "claude-haiku-4-5 claude-sonnet-5"},
	} {
		ids, err := CatalogModelIDs(tt.in)
		if err != nil || strings.Join(ids, " ") != tt.want {
			t.Errorf("%s: ids %q, %v; want %s", tt.in, ids, err, tt.want)
		}
	}

	bare := install("bare", "openclaw", "2026.6.1")
	if ids, err := CatalogModelIDs(bare); err == nil || !strings.Contains(err.Error(), "no pi-ai catalog and no modelCatalog") {
		t.Errorf("an install with neither: %q, %v", ids, err)
	}
	writeManifest(bare, []byte(`{"modelCatalog":`))
	if ids, err := CatalogModelIDs(bare); err == nil || !strings.Contains(err.Error(), "openclaw.plugin.json: plugin manifest") {
		t.Errorf("a broken manifest: %q, %v", ids, err)
	}
	// A broken catalog beside a good manifest: the manifest's ids and the
	// catalog's error.
	mustWrite(t, filepath.Join(tmp, "both", "node_modules", "@earendil-works", "pi-ai", catalogRel), []byte("export const MODELS = {"))
	ids, err := CatalogModelIDs(both)
	if !errors.Is(err, ErrNotCatalog) || strings.Join(ids, " ") != "claude-3-haiku-20240307 claude-opus-4-7" {
		t.Errorf("a broken catalog: %q, %v", ids, err)
	}
}

// realCatalogIDs are the Anthropic model ids of the provisioned releases
// as docs/openclaw-releases.md lists them (2026.5.27's manifest lists a
// subset of its pi-ai catalog).
var realCatalogIDs = map[string]string{
	"clawdbot 2026.1.24-3": "claude-3-5-haiku-20241022 claude-3-5-haiku-latest claude-3-5-sonnet-20240620 claude-3-5-sonnet-20241022 " +
		"claude-3-7-sonnet-20250219 claude-3-7-sonnet-latest claude-3-haiku-20240307 claude-3-opus-20240229 claude-3-sonnet-20240229 " +
		"claude-haiku-4-5 claude-haiku-4-5-20251001 claude-opus-4-0 claude-opus-4-1 claude-opus-4-1-20250805 claude-opus-4-20250514 " +
		"claude-opus-4-5 claude-opus-4-5-20251101 claude-sonnet-4-0 claude-sonnet-4-20250514 claude-sonnet-4-5 claude-sonnet-4-5-20250929",
	"openclaw 2026.5.7":  pi23,
	"openclaw 2026.5.27": pi23,
	"openclaw 2026.6.35": "claude-fable-5 claude-opus-4-8 claude-opus-4-7 claude-haiku-4-5 claude-haiku-4-5-20251001 claude-sonnet-4-6 claude-opus-4-6",
	"openclaw 2026.9.6":  "claude-opus-5-5 claude-fable-5-1 claude-fable-5 claude-opus-5 claude-sonnet-5 claude-mythos-5 claude-opus-4-8 claude-haiku-4-5",
}

// pi23 is the catalog of pi-ai 0.73.0 and 0.75.5.
const pi23 = "claude-3-5-haiku-20241022 claude-3-5-haiku-latest claude-3-5-sonnet-20240620 claude-3-5-sonnet-20241022 " +
	"claude-3-7-sonnet-20250219 claude-3-haiku-20240307 claude-3-opus-20240229 claude-3-sonnet-20240229 claude-haiku-4-5 " +
	"claude-haiku-4-5-20251001 claude-opus-4-0 claude-opus-4-1 claude-opus-4-1-20250805 claude-opus-4-20250514 claude-opus-4-5 " +
	"claude-opus-4-5-20251101 claude-opus-4-6 claude-opus-4-7 claude-sonnet-4-0 claude-sonnet-4-20250514 claude-sonnet-4-5 " +
	"claude-sonnet-4-5-20250929 claude-sonnet-4-6"

// TestRealCatalogModelIDs reads the ids of every provisioned install and
// compares those of a known release with the documented list. The
// installs are only read.
func TestRealCatalogModelIDs(t *testing.T) {
	dirs, missing := apptest.InstallDirs()
	if len(missing) > 0 {
		requirePeer(t, strings.Join(missing, "; "))
	}
	for _, dir := range dirs {
		ins, err := FindInstalls(ProjectRoots([]string{dir}))
		if err != nil || len(ins) != 1 {
			t.Fatalf("installs in %s: %v %v", dir, ins, err)
		}
		in := ins[0]
		t.Run(in.App+" "+in.Version, func(t *testing.T) {
			ids, err := CatalogModelIDs(in)
			if err != nil || len(ids) == 0 {
				t.Fatalf("ids %q, %v", ids, err)
			}
			t.Logf("%d ids: %s", len(ids), strings.Join(ids, " "))
			want, ok := realCatalogIDs[in.App+" "+in.Version]
			if !ok {
				return // a release added to provisioning; its ids are logged
			}
			got, exp := slices.Sorted(slices.Values(ids)), slices.Sorted(slices.Values(strings.Fields(want)))
			if !slices.Equal(got, exp) {
				t.Errorf("ids %q, want %q", got, exp)
			}
		})
	}
}
