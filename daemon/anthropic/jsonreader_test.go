package anthropic

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// readFastCases are bodies on which the fast path must agree with
// encoding/json: where it gives up, encoding/json decides alone.
var readFastCases = []string{
	`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`,
	`{"model":"m","MODEL":"x","messages":[]}`,
	`{"model":"m","model":"n"}`,
	`{"model":"a\u00e9\ud83d\ude00\ud800x\"\\\/\b\f\n\r\t","max_tokens":null,"stream":null}`,
	"{\"model\":\"\xff\xfe ok \xed\xa0\x80\"}",
	`{"max_tokens":1.0}`, `{"max_tokens":-0}`, `{"max_tokens":99999999999999999999}`, `{"max_tokens":01}`,
	`{"temperature":1e400}`, `{"temperature":-1.5e-3,"top_p":0,"top_k":40}`,
	`{"messages":null,"tools":[],"stop_sequences":["a",""]}`, `{"stop_sequences":[null]}`,
	`{"messages":[null, 1, "x", {"a":[true,false,null]}]}`,
	`{"tool_choice":{"type":"tool","name":"t"},"thinking":{"type":"enabled","budget_tokens":5000},"output_config":{"effort":"max"}}`,
	`{"tool_choice":null,"thinking":"x"}`,
	`{"type":"tool_result","tool_use_id":"a","content":[{"type":"text","text":"x"}],"is_error":true,"cache_control":{"type":"ephemeral"}}`,
	`{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBO"}}`,
	`{"type":"image","source":null}`, `{"type":"document","source":{"type":"content","content":[{"type":"text","text":"d"}]},"title":"t"}`,
	`{"name":"t","description":"d","input_schema":{"type":"object"}}`,
	`{"role":"user","content":[{"type":"text","text":"hi"}]}`,
	`[{"type":"text","text":"a"},{"type":"tool_use","id":"t","name":"n","input":{"b":1,"a":2}}]`, `[{"type":"text"},null]`,
	`{"role":1}`, `{"role":"user",}`, `{"role":"user"} x`, `  {"role" : "user" , "content" : null }  `,
	`{"\u0072ole":"user"}`, `{"rolé":"user"}`, `{"ROLE":"user"}`, "{\"role\":\"a\x01\"}", `{"role":"\u12"}`,
	`{"model":"m","x":"a\\\"b\\\\","y":["\\\\"],"model2":"\\\"}"}`,
	`[]`, `null`, `"str"`, `""`, `[1,2,[3]]`, `[ ]`, `[1,]`, `{}`, `{"a":-}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":tru}`,
}

// TestReadFastAgrees holds the fast path to encoding/json on the cases
// above and on the request fixtures.
func TestReadFastAgrees(t *testing.T) {
	requests := [][]byte{clawdbotRequest(3)}
	files, _ := filepath.Glob("testdata/request/*.json")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		requests = append(requests, b)
	}
	for _, b := range requests {
		checkReadFast(t, b)
		if !readFast(b, new(MessagesRequest), false) {
			t.Errorf("the fast path gave up on a well-formed request: %.200s", b)
		}
	}
	for _, c := range readFastCases {
		checkReadFast(t, []byte(c))
	}
}

// FuzzReadFast does the same for any input.
func FuzzReadFast(f *testing.F) {
	f.Add(clawdbotRequest(1))
	for _, c := range readFastCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkReadFast(t, b) })
}

// checkReadFast decodes b into each type the fast path knows, both ways,
// and fails if the fast path accepted b but decoded it differently from
// encoding/json, or accepted what encoding/json refuses. A trusted reader
// is checked too when b is valid JSON, as it is only ever given that.
func checkReadFast(t *testing.T, b []byte) {
	t.Helper()
	checkReadFastAs(t, b, false)
	if json.Valid(b) {
		checkReadFastAs(t, b, true)
	}
}

func checkReadFastAs(t *testing.T, b []byte, trusted bool) {
	t.Helper()
	for _, newV := range []func() any{
		func() any { return new(MessagesRequest) }, func() any { return new(MessageParam) },
		func() any { return new(RequestBlock) }, func() any { return new(ToolParam) },
		func() any { return new([]json.RawMessage) }, func() any { return new(string) },
	} {
		fastV, slowV := newV(), newV()
		if !readFast(b, fastV, trusted) {
			if !reflect.DeepEqual(fastV, newV()) {
				t.Fatalf("%T: the fast path gave up on %q but left %+v behind", fastV, b, fastV)
			}
			continue
		}
		if err := json.Unmarshal(b, slowV); err != nil {
			t.Fatalf("%T (trusted %v): the fast path accepted %q, encoding/json says %v", fastV, trusted, b, err)
		}
		if !reflect.DeepEqual(fastV, slowV) {
			t.Fatalf("%T (trusted %v): %q decoded differently:\nfast: %+v\njson: %+v", fastV, trusted, b, fastV, slowV)
		}
	}
	var fastBlocks, slowBlocks []RequestBlock
	if !readFastArray(b, &fastBlocks, trusted) {
		return
	}
	if err := json.Unmarshal(b, &slowBlocks); err != nil {
		t.Fatalf("[]RequestBlock (trusted %v): the fast path accepted %q, encoding/json says %v", trusted, b, err)
	}
	if !reflect.DeepEqual(fastBlocks, slowBlocks) {
		t.Fatalf("[]RequestBlock (trusted %v): %q decoded differently:\nfast: %+v\njson: %+v", trusted, b, fastBlocks, slowBlocks)
	}
}

// FuzzDecodeAgrees decodes whole bodies with the fast path and without
// it: the same request, or the same error message.
func FuzzDecodeAgrees(f *testing.F) {
	f.Add(clawdbotRequest(2))
	for _, c := range readFastCases {
		f.Add([]byte(c))
	}
	files, _ := filepath.Glob("testdata/request/*.json")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, fastErr := DecodeRequest(body)
		slowReadsOnly = true
		slow, slowErr := DecodeRequest(body)
		slowReadsOnly = false
		if fmt.Sprint(fastErr) != fmt.Sprint(slowErr) {
			t.Fatalf("%q:\nfast: %v\nslow: %v", body, fastErr, slowErr)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q decoded differently:\nfast: %+v\nslow: %+v", body, fast, slow)
		}
	})
}
