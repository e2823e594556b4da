package config

import (
	"strings"
	"testing"
)

func TestKeepAlive(t *testing.T) {
	tests := []struct {
		yaml, want string
	}{
		{"keep_alive: 30m", "30m0s"},
		{"keep_alive: 300", "5m0s"},
		{"keep_alive: -1", KeepForever},
		{"keep_alive: '-5m'", KeepForever},
		{"keep_alive: 0", "0s"},
		{"keep_alive: ~", ""},
	}
	for _, warm := range []bool{false, true} {
		for _, tt := range tests {
			y := "model_list: [{model_name: a, litellm_params: {model: ollama/x, " + tt.yaml + "}}]\n"
			if warm {
				y += "clawbridge: {models: {warmup: true}}\n"
			}
			cfg, err := parse([]byte(y), "config.yaml", lookupTestEnv)
			if err != nil {
				t.Fatalf("%q: %v", y, err)
			}
			r, err := cfg.Route("a")
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if warm && want == "" {
				want = KeepForever // warm-up keeps models loaded unless told otherwise
			}
			if got := r.Deployments[0].KeepAlive; got != want {
				t.Errorf("%q (warmup %v): keep_alive %q, want %q", tt.yaml, warm, got, want)
			}
		}
	}
}

func TestKeepAliveRejects(t *testing.T) {
	for _, v := range []string{"soon", "5 minutes", "[1]"} {
		y := "model_list:\n  - model_name: a\n    litellm_params:\n      model: ollama/x\n      keep_alive: " + v + "\n"
		_, err := parse([]byte(y), "config.yaml", lookupTestEnv)
		if err == nil || !strings.Contains(err.Error(), "config.yaml:5: model_list[0].litellm_params.keep_alive") {
			t.Errorf("keep_alive %s: error %v, want one at line 5", v, err)
		}
	}
}

func TestAdminListen(t *testing.T) {
	for _, c := range []struct{ listen, want string }{
		{"127.0.0.1:4001", ""},
		{"'[::1]:4001'", ""},
		{"0.0.0.0:4001", "must be on a loopback address"},
		{"localhost:4001", "must be on a loopback address"},
		{"127.0.0.1:0", "invalid port"},
	} {
		_, err := parse([]byte("clawbridge: {admin: {listen: "+c.listen+"}}\n"), "config.yaml", lookupTestEnv)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.listen, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want %q", c.listen, err, c.want)
		}
	}
}
