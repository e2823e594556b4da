package upstream

import (
	"strings"
	"testing"
)

// TestErrorMessage pins down what a non-2xx answer says, in each shape of
// error body the servers send.
func TestErrorMessage(t *testing.T) {
	for body, want := range map[string]string{
		`{"error":{"message":"model 'x' not found","type":"api_error"}}`: "model 'x' not found",
		`{"error":"busy"}`:         "busy",
		`<html>Bad Gateway</html>`: "<html>Bad Gateway</html>",
		``:                         "(empty body)",
	} {
		if got := errorMessage(strings.NewReader(body)); got != want {
			t.Errorf("errorMessage(%q) = %q, want %q", body, got, want)
		}
	}
}
