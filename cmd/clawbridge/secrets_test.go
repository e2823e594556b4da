//go:build unix

package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamatest"
)

// TestServeNeverLogsKeys runs `clawbridge serve -debug` and sends it
// requests with the master key (x-api-key and Bearer, both front ends) and
// with a wrong one; the whole log it wrote must hold neither key. (The
// daemon's test, TestSecretsNeverLogged, covers the guard, the admin
// endpoint and backend keys.)
func TestServeNeverLogsKeys(t *testing.T) {
	const wrong = "sk-wrong-9f3c2a7d41e8b6c05f2e"
	bin := e2eBuild(t)
	ol := ollamatest.Start(t)
	cb := e2eStartClawbridge(t, bin, ol.URL)
	messages := `{"model":"claude-sonnet-4-5","max_tokens":20,"messages":[{"role":"user","content":"Hi"}]}`
	chat := `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hi"}]}`
	for _, c := range []struct {
		path, body, header, value string
		want                      int
	}{
		{"/v1/messages", messages, "x-api-key", e2eMasterKey, 200},
		{"/v1/messages", messages, "Authorization", "Bearer " + e2eMasterKey, 200},
		{"/v1/chat/completions", chat, "Authorization", "Bearer " + e2eMasterKey, 200},
		{"/v1/messages", messages, "x-api-key", wrong, 401},
		{"/v1/messages", messages, "Authorization", "Bearer " + wrong, 401},
		{"/v1/chat/completions", chat, "Authorization", "Bearer " + wrong, 401},
		{"/v1/messages", messages, "x-api-key", e2eMasterKey + "-and-more", 401},
	} {
		req, _ := http.NewRequest("POST", cb.url+c.path, strings.NewReader(c.body))
		req.Header.Set(c.header, c.value)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s with %s: status %d, want %d", c.path, c.header, resp.StatusCode, c.want)
		}
	}
	log := cb.log.String()
	if !strings.Contains(log, "/v1/messages") {
		t.Fatalf("the requests were not logged: is -debug logging on?\n%s", log)
	}
	for _, key := range []string{e2eMasterKey, wrong, "9f3c2a7d", "e2e-master"} {
		if strings.Contains(log, key) {
			t.Errorf("the log holds %q:\n%s", key, log)
		}
	}
}
