package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// TestPullWithoutDaemon: with no daemon running, `clawbridge pull ALIAS`
// pulls the alias's model into its Ollama itself, from a registry served
// by the test, and a model the registry lacks fails with the reason.
func TestPullWithoutDaemon(t *testing.T) {
	ol := ollamatest.Start(t)
	reg := ollamatest.StartRegistry(t, ol, "pulled", 256<<10, 0)
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	model := reg.Model("pulled")
	cfg := fmt.Sprintf("model_list:\n  - model_name: claude-sonnet-4-5\n    litellm_params:\n      model: ollama/%s\n      api_base: %s\n", model, ol.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := dispatch([]string{"pull", "--config", cfgPath, "--insecure", "claude-sonnet-4-5"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "pulled "+model) {
		t.Errorf("output %q, want it to say the model was pulled", out.String())
	}
	c, _ := ollama.New(ol.URL, nil)
	tags, err := c.Tags(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(tags.Models, func(m ollama.ListModel) bool { return m.Name == model }) {
		t.Errorf("Ollama does not list %s after the pull", model)
	}

	out.Reset()
	errOut.Reset()
	code := dispatch([]string{"pull", "--config", cfgPath, "--insecure", reg.Model("nope")}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "no such model") {
		t.Errorf("missing model: exit %d, stderr %q; want 1 and the reason", code, errOut.String())
	}
	if code := dispatch([]string{"pull", "--config", cfgPath}, &out, &errOut); code != 2 {
		t.Errorf("no name: exit %d, want 2", code)
	}
}
