package daemon

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/peers"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// prometheusBin is the prometheus server the scrape test runs:
// $CLAWBRIDGE_PROMETHEUS_BIN, else prometheus on PATH (Debian's package,
// which .ci/provision-apt.sh installs). Without one the test skips, or
// fails under CLAWBRIDGE_REQUIRE_PEERS.
func prometheusBin(t *testing.T) string {
	if bin := os.Getenv("CLAWBRIDGE_PROMETHEUS_BIN"); bin != "" {
		return bin
	}
	if bin, err := exec.LookPath("prometheus"); err == nil {
		return bin
	}
	peers.Missing(t, "no prometheus binary (apt-get install prometheus, or set CLAWBRIDGE_PROMETHEUS_BIN)")
	return ""
}

// TestPrometheusScrapesMetrics runs a real Prometheus against the admin
// listener's /metrics and reads a request's numbers back from its query
// API.
func TestPrometheusScrapesMetrics(t *testing.T) {
	bin := prometheusBin(t)
	ol := ollamatest.Start(t)
	adminAddr := freeAddr(t) // clawbridge.admin.listen: a port Prometheus can be pointed at
	w := newWorld(t, ol.URL, "  admin:\n    listen: "+adminAddr+"\n")
	runtimeDir := filepath.Join(w.home, "run")
	d := startDaemon(t, w, Options{RuntimeDir: runtimeDir})
	if code, body := ask(t, d.State().Translator.Addr, "claude-sonnet-4-5", "Hi there"); code != 200 {
		t.Fatalf("answer %d %s", code, body)
	}
	ac, err := admin.Connect(runtimeDir)
	if err != nil {
		t.Fatal(err)
	}
	if ac.Runtime().Admin != adminAddr {
		t.Fatalf("admin endpoint on %s, want clawbridge.admin.listen %s", ac.Runtime().Admin, adminAddr)
	}

	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	mustWrite(t, cfg, fmt.Sprintf("global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: clawbridge\n    static_configs: [{targets: [%q]}]\n",
		adminAddr))
	web := freeAddr(t)
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+web)
	log, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			data, _ := os.ReadFile(log.Name())
			t.Logf("prometheus log:\n%s", tail(string(data), 3000))
		}
	})

	query := func(q string) string {
		resp, err := http.Get("http://" + web + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		var r struct {
			Data struct {
				Result []struct {
					Metric map[string]string `json:"metric"`
					Value  []any             `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if json.NewDecoder(resp.Body).Decode(&r) != nil || len(r.Data.Result) != 1 || len(r.Data.Result[0].Value) != 2 {
			return ""
		}
		v, _ := r.Data.Result[0].Value[1].(string)
		return v
	}
	deadline := time.Now().Add(60 * time.Second)
	for query(`up{job="clawbridge"}`) != "1" ||
		query(`litellm_proxy_total_requests_metric_total{requested_model="claude-sonnet-4-5",status_code="200"}`) != "1" {
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus did not scrape the request from %s/metrics (up = %q)", ac.Runtime().Admin, query(`up{job="clawbridge"}`))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if v := query(`sum(litellm_output_tokens_metric_total{model="` + ollamatest.ModelTiny + `"})`); v == "" || v == "0" {
		t.Errorf("output tokens as Prometheus read them: %q", v)
	}
	if v := query(`histogram_quantile(0.5, sum by (le) (litellm_llm_api_time_to_first_token_metric_bucket))`); v == "" || strings.Contains(v, "NaN") {
		t.Errorf("TTFT median as Prometheus computes it: %q", v)
	}
}

// freeAddr returns a free 127.0.0.1 port.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
