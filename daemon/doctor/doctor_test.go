package doctor

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func findCheck(t *testing.T, r Report, name string) Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, r.Checks)
	return Check{}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestDoctorConfiguredGatewayPort: a gateway port set in the config, not
// one of Clawdbot's defaults, is checked too: taken by another process, it
// is a failure naming the port.
func TestDoctorConfiguredGatewayPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	home := t.TempDir()
	cfgPath := filepath.Join(home, "config.yaml")
	cfg := fmt.Sprintf("model_list:\n  - model_name: claude-sonnet-4-5\n    litellm_params: {model: ollama/tiny, api_base: http://127.0.0.1:1}\n"+
		"clawbridge:\n  gateway:\n    enabled: true\n    port: %d\n", port)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	noGlobal := false
	r := Run(context.Background(), Options{ConfigPath: cfgPath, Home: home,
		Getenv: func(string) string { return "" }, IncludeGlobal: &noGlobal, GatewayPorts: []int{freePort(t)}})
	c := findCheck(t, r, "gateway")
	if c.OK || !strings.Contains(c.Detail, fmt.Sprintf("port %d is taken", port)) || !strings.Contains(c.Fix, "clawbridge.gateway.port") {
		t.Errorf("gateway check = %+v; want a failure naming port %d", c, port)
	}
}

// TestSummary: the tray's "Run doctor" shows the failed checks with their
// fixes, or that all passed.
func TestSummary(t *testing.T) {
	ok := Report{Checks: []Check{{Name: "config", OK: true}, {Name: "translator", OK: true}}}
	if got := ok.Summary(); got != "All 2 checks passed." || !ok.OK() {
		t.Errorf("passing report: %q, OK %v", got, ok.OK())
	}
	bad := Report{Checks: []Check{{Name: "config", OK: true}, {Name: "model x", Detail: "not pulled", Fix: "ollama pull x"}}}
	want := "1 of 2 checks failed.\nmodel x: not pulled. Fix: ollama pull x"
	if got := bad.Summary(); got != want || bad.OK() || bad.Failed() != 1 {
		t.Errorf("failing report: %q (OK %v, failed %d), want %q", got, bad.OK(), bad.Failed(), want)
	}
}
