package translator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/ollama/ollamatest"
)

func TestZZProbe(t *testing.T) {
	ol := ollamatest.Start(t)
	post := func(path, body string) string {
		resp, err := http.Post(ol.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return fmt.Sprintf("%d %s", resp.StatusCode, b)
	}
	show := post("/api/show", `{"model":"tiny"}`)
	var sh map[string]any
	json.Unmarshal([]byte(show[4:]), &sh)
	delete(sh, "template"); delete(sh, "modelfile"); delete(sh, "tensors")
	b, _ := json.Marshal(sh)
	t.Logf("show: %s", b)
	long := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 200)
	for i := 0; i < 3; i++ {
		t.Logf("cache %d: %s", i, post("/api/chat", `{"model":"tiny","stream":false,"messages":[{"role":"system","content":"`+long+`"},{"role":"user","content":"Hi"}]}`))
	}
	t.Logf("diff last: %s", post("/api/chat", `{"model":"tiny","stream":false,"messages":[{"role":"system","content":"`+long+`"},{"role":"user","content":"Hello there friend"}]}`))
	huge := strings.Repeat("zq xv kj wp ", 3000)
	t.Logf("truncate false: %s", post("/api/chat", `{"model":"tiny","stream":true,"truncate":false,"shift":false,"messages":[{"role":"system","content":"`+huge+`"},{"role":"user","content":"Hi"}]}`))
	t.Logf("truncate default: %s", post("/api/chat", `{"model":"tiny","stream":false,"messages":[{"role":"system","content":"`+huge+`"},{"role":"user","content":"Hi"}]}`)[:300])
	t.Logf("shift false loop: %s", post("/api/chat", `{"model":"tiny","stream":false,"shift":false,"options":{"num_ctx":256},"messages":[{"role":"user","content":"loop"}]}`)[:400])
	tools := `[{"type":"function","function":{"name":"get_weather","parameters":` + ollamatest.WeatherParameters + `}}]`
	t.Logf("v1 tool stream: %s", post("/v1/chat/completions", `{"model":"tiny","stream":true,"stream_options":{"include_usage":true},"tools":`+tools+`,"messages":[{"role":"user","content":"weather?"}]}`))
	t.Logf("v1 jsontool: %s", post("/v1/chat/completions", `{"model":"tiny","tools":`+tools+`,"messages":[{"role":"user","content":"jsontool"}]}`))
	t.Logf("api jsontool tools: %s", post("/api/chat", `{"model":"tiny","stream":false,"tools":`+tools+`,"messages":[{"role":"user","content":"jsontool"}]}`))
	t.Logf("v1 err: %s", post("/v1/chat/completions", `{"model":"nope","messages":[{"role":"user","content":"x"}]}`))
	t.Logf("v1 models: %s", post("/v1/models", ``))
	r, _ := http.Get(ol.URL + "/v1/models")
	bb, _ := io.ReadAll(r.Body)
	t.Logf("v1 models GET: %d %s", r.StatusCode, bb)
	t.Logf("v1 think: %s", post("/v1/chat/completions", `{"model":"tiny","stream":true,"reasoning_effort":"low","messages":[{"role":"user","content":"think"}]}`))
	_ = bytes.MinRead
}
