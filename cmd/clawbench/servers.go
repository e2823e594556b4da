package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/clawbridge/clawbridge/daemon/upstream/ollama/ollamafake"
)

// runFake serves the fake upstream until SIGINT or SIGTERM.
func runFake(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "host:port to listen on")
	token := fs.String("token", ollamafake.DefaultToken, "text of every token")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return serveUntilSignal(*listen, ollamafake.New(ollamafake.Options{Token: *token}), stdout)
}

// runProxy serves a plain httputil.ReverseProxy in front of -to: the least
// any HTTP hop can cost, and so the floor a relay is held to.
func runProxy(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "host:port to listen on")
	to := fs.String("to", "", "upstream base URL (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*to)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("-to %q: want http://host:port", *to)
	}
	return serveUntilSignal(*listen, fullDuplex(newReverseProxy(u)), stdout)
}

// fullDuplex lets h read the request body after it has started the
// response. The reverse proxy needs that: the fake answers as soon as it
// has the body, and the proxy may start relaying while its transport
// still makes the final read of the client's body; by default the HTTP/1
// server closes that body at the first response write, the transport's
// read fails, and it drops the upstream connection mid-answer ("use of
// closed network connection" in the proxy, a cut answer in the client).
func fullDuplex(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NewResponseController(w).EnableFullDuplex()
		h.ServeHTTP(w, r)
	})
}

// newReverseProxy is the floor: the standard library's reverse proxy with
// enough idle connections for the benchmark's concurrency (the default of
// two per host would make it open a connection for most requests) and
// every write flushed at once, as a streaming relay must.
func newReverseProxy(to *url.URL) *httputil.ReverseProxy {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 256
	return &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(to) },
		Transport:     t,
		FlushInterval: -1,
	}
}

// serveUntilSignal serves h on addr, printing "listening on http://ADDR"
// once connections are accepted, until SIGINT or SIGTERM.
func serveUntilSignal(addr string, h http.Handler, stdout io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
