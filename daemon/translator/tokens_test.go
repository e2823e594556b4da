package translator

import (
	"testing"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
)

// TestDropsTools is the one decision that count_tokens and the real
// request share on whether the model is sent the tools.
func TestDropsTools(t *testing.T) {
	yes, no := true, false
	withTools, without := &anthropic.Capabilities{Tools: true}, &anthropic.Capabilities{Tools: false}
	for _, c := range []struct {
		name  string
		d     config.Deployment
		caps  *anthropic.Capabilities
		drops bool
	}{
		{"nothing said", config.Deployment{}, nil, false},
		{"config says no", config.Deployment{SupportsFunctionCalling: &no}, withTools, true},
		{"config says yes over Ollama", config.Deployment{SupportsFunctionCalling: &yes, DropParams: true}, without, false},
		{"Ollama says no, drop_params off", config.Deployment{}, without, false},
		{"Ollama says no, drop_params on", config.Deployment{DropParams: true}, without, true},
		{"Ollama says yes, drop_params on", config.Deployment{DropParams: true}, withTools, false},
		{"capabilities unknown, drop_params on", config.Deployment{DropParams: true}, nil, false},
	} {
		if got := dropsTools(c.d, c.caps); got != c.drops {
			t.Errorf("%s: dropsTools = %v, want %v", c.name, got, c.drops)
		}
	}
}
