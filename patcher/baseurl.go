package patcher

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// DefaultBaseURL is where pi-ai is pointed when nothing else is configured:
// the translator's default listen address. pi-ai appends /v1 itself, so a
// base URL never ends in /v1.
const DefaultBaseURL = "http://127.0.0.1:4000"

// BaseURLForListen turns the translator's listen address into the base URL
// clients should use: a wildcard host (":4000", "0.0.0.0:4000", "[::]:4000")
// becomes 127.0.0.1, any other host is kept.
func BaseURLForListen(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("listen address %q: %w", addr, err)
	}
	if port == "" {
		return "", fmt.Errorf("listen address %q: no port", addr)
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return CheckBaseURL("http://" + net.JoinHostPort(host, port))
}

// CheckBaseURL validates a base URL to write into pi-ai's catalog and
// returns it in the form written (without a trailing slash). It refuses
// what would break pi-ai or the file: anything but http(s), a /v1 suffix
// (pi-ai adds /v1 itself), queries, and characters that would need escaping
// inside a JavaScript string or a comment.
func CheckBaseURL(raw string) (string, error) {
	s := strings.TrimRight(strings.TrimSpace(raw), "/")
	for _, c := range s {
		if c < 0x21 || c > 0x7e || c == '"' || c == '\'' || c == '\\' || c == '`' {
			return "", fmt.Errorf("base URL %q: contains %q", raw, c)
		}
	}
	if strings.Contains(s, "*/") {
		return "", fmt.Errorf("base URL %q: contains */", raw)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("base URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("base URL %q: want http:// or https://", raw)
	}
	if u.Host == "" {
		return "", fmt.Errorf("base URL %q: no host", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("base URL %q: no user, query or fragment allowed", raw)
	}
	if strings.HasSuffix(u.Path, "/v1") {
		return "", fmt.Errorf("base URL %q: drop the /v1 suffix, pi-ai adds it", raw)
	}
	if strings.EqualFold(u.Hostname(), anthropicHost) {
		return "", fmt.Errorf("base URL %q: that is Anthropic's own API; use undo to restore it", raw)
	}
	return s, nil
}
