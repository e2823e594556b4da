package translator

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/config"
)

// checkKey accepts the master key from x-api-key (Anthropic clients) or
// Authorization: Bearer (OpenAI clients), compared in constant time. With
// no master key configured every request is accepted.
func checkKey(r *http.Request, key string) *anthropic.Error {
	if key == "" {
		return nil
	}
	apiKey := r.Header.Get("X-Api-Key")
	bearer := ""
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		bearer = strings.TrimSpace(a[7:])
	}
	if apiKey == "" && bearer == "" {
		return &anthropic.Error{Status: http.StatusUnauthorized, Type: "authentication_error",
			Message: "missing API key: send the master_key from the clawbridge config in the x-api-key header (or Authorization: Bearer)"}
	}
	ok := subtle.ConstantTimeCompare([]byte(apiKey), []byte(key)) == 1
	ok = subtle.ConstantTimeCompare([]byte(bearer), []byte(key)) == 1 || ok
	if !ok {
		return &anthropic.Error{Status: http.StatusUnauthorized, Type: "authentication_error",
			Message: "invalid API key: it does not match general_settings.master_key in the clawbridge config"}
	}
	return nil
}

// checkOrigin refuses what a web page could send: a Host header naming
// this machine by a name clawbridge does not know (DNS rebinding: a page
// of evil.example whose name is made to resolve to 127.0.0.1 reaches
// this port as evil.example), and a request from a page of another site
// (an Origin header not on this machine), which a browser sends even
// though it cannot read the answer. The translator serves programs, never
// pages: it sends no CORS headers, so no browser may read an answer.
func (s *Server) checkOrigin(r *http.Request, cfg *config.Config) *anthropic.Error {
	if !s.hostAllowed(r.Host, cfg) {
		return &anthropic.Error{Status: http.StatusForbidden, Type: "permission_error",
			Message: fmt.Sprintf("the Host header %q is not a name of this machine that clawbridge knows: use 127.0.0.1 or localhost, or add the name to clawbridge.translator.allowed_hosts in the config", r.Host)}
	}
	if origin, ok := r.Header["Origin"]; ok && (len(origin) != 1 || !loopbackOrigin(origin[0])) {
		return &anthropic.Error{Status: http.StatusForbidden, Type: "permission_error",
			Message: fmt.Sprintf("requests from web pages are refused (the Origin header is %q): clawbridge answers programs on this machine, not browsers", strings.Join(origin, ", "))}
	}
	return nil
}

// hostAllowed reports whether a Host header names this machine. IP
// addresses are always allowed: DNS rebinding needs a name. So are
// localhost and *.localhost (RFC 6761: always loopback), the listen host,
// the names in allowed_hosts and, when listening on every interface or on
// a network address, this machine's host name (which only it can answer
// for). The port is not checked: a name that reaches this machine is safe
// on any port.
func (s *Server) hostAllowed(hostport string, cfg *config.Config) bool {
	host := hostport
	if h, port, err := net.SplitHostPort(hostport); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return false // no browser sends that
		}
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "" || net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if cfg == nil {
		return false
	}
	listen, _, _ := net.SplitHostPort(cfg.Clawbridge.Listen)
	listen = strings.ToLower(strings.TrimSuffix(listen, "."))
	if host == listen {
		return true
	}
	for _, h := range cfg.Clawbridge.Translator.AllowedHosts {
		if host == strings.ToLower(strings.TrimSuffix(h, ".")) {
			return true
		}
	}
	if ip := net.ParseIP(listen); listen == "" || ip != nil && !ip.IsLoopback() {
		for _, n := range s.names {
			if host == n {
				return true
			}
		}
	}
	return false
}

// loopbackOrigin reports whether an Origin header names a page served
// from this machine's loopback (a local development server, say).
func loopbackOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // "null" (a sandboxed frame, a file) or garbage
	}
	h := strings.ToLower(u.Hostname())
	if ip := net.ParseIP(h); ip != nil {
		return ip.IsLoopback()
	}
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// machineNames returns this machine's host name, short and as given, and
// its mDNS name (name.local), lower case.
func machineNames() []string {
	name, err := os.Hostname()
	if err != nil || name == "" {
		return nil
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	short, _, _ := strings.Cut(name, ".")
	names := []string{name}
	if short != name {
		names = append(names, short)
	}
	return append(names, short+".local")
}
