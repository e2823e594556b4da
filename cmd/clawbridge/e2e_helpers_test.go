//go:build unix

package main

import "testing"

// checkThrown checks the part of a thrown SDK error that the Anthropic and
// openai SDKs share: the call failed rather than succeeded, with an
// APIError of class and status. It reports whether the call threw at all,
// so the caller checks the error body only then.
func (e sdkError) checkThrown(t *testing.T, what, class string, status int) bool {
	t.Helper()
	if e.UnexpectedSuccess != nil {
		t.Errorf("%s: succeeded with %s; want %s", what, e.UnexpectedSuccess, class)
		return false
	}
	if e.Class != class || e.Status != status || !e.IsAPIError {
		t.Errorf("%s: %s (status %d, APIError %v): %s; want %s with status %d", what, e.Class, e.Status, e.IsAPIError, e.Message, class, status)
	}
	return true
}
