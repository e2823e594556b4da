package daemon

import (
	"fmt"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// A Claude name's window comes from the real Ollama's /api/show, asked in
// the background, capped by max_num_ctx; num_ctx and max_input_tokens
// win over it; one deployment that cannot say makes the name unknown.
func TestContextWindows(t *testing.T) {
	ol := ollamatest.Start(t)
	for _, tc := range []struct {
		name, entries, settings string
		want                    int
	}{
		{"from /api/show", fmt.Sprintf("{model: ollama/%s, api_base: %s}", ollamatest.ModelTiny, ol.URL), "", 65536},
		{"capped by max_num_ctx", fmt.Sprintf("{model: ollama/%s, api_base: %s}", ollamatest.ModelTiny, ol.URL),
			"clawbridge:\n  translator:\n    max_num_ctx: 16384\n", 16384},
		{"num_ctx wins", fmt.Sprintf("{model: ollama/%s, api_base: %s, num_ctx: 8192}", ollamatest.ModelTiny, ol.URL), "", 8192},
		{"no such model", fmt.Sprintf("{model: ollama/missing, api_base: %s}", ol.URL), "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte("model_list:\n  - model_name: claude-*\n    litellm_params: "+tc.entries+"\n"+tc.settings), "config.yaml")
			if err != nil {
				t.Fatal(err)
			}
			w := newContextWindows()
			w.setConfig(cfg)
			got := w.window("claude-sonnet-5")
			for deadline := time.Now().Add(10 * time.Second); got != tc.want && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
				got = w.window("claude-sonnet-5")
			}
			if got != tc.want {
				t.Errorf("window %d, want %d", got, tc.want)
			}
			if n := w.window("gpt-4o"); n != 0 {
				t.Errorf("a name the config does not route: window %d, want 0", n)
			}
		})
	}
}
