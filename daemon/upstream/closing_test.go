package upstream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// lineServer streams lines the way Ollama does, one flushed write each,
// as steps tells it; done is closed when its handler returns, and gone
// when it saw the client close the connection.
type lineServer struct {
	url        string
	done, gone chan struct{}
	writeErr   error
}

func startLineServer(t *testing.T, steps func(w io.Writer, flush func(), gone <-chan struct{}) error) *lineServer {
	t.Helper()
	ls := &lineServer{done: make(chan struct{}), gone: make(chan struct{})}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(ls.done)
		// Like Ollama, read the request first: the server notices a
		// closed connection only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		go func() { <-r.Context().Done(); close(ls.gone) }()
		ls.writeErr = steps(w, w.(http.Flusher).Flush, r.Context().Done())
	}))
	t.Cleanup(ts.Close)
	ls.url = ts.URL
	return ls
}

// within fails the test when ch is not closed soon; it only guards
// against a hang, the tests never depend on its length.
func within(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not happen", what)
	}
}

func endpoint(t *testing.T, url string, d Drain) *Endpoint {
	t.Helper()
	e, err := NewEndpoint(Kind{Name: "test"}, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.drain = d
	return e
}

// readLines calls fn with each line of a stream until fn returns an error.
func readLines(fn func(string) error) func(io.Reader) error {
	return func(r io.Reader) error {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if err := fn(sc.Text()); err != nil {
				return err
			}
		}
		return sc.Err()
	}
}

var errLeave = errors.New("leave")

const forever = time.Hour

// TestCutAtOnceBeforeAnything: a stream that has sent nothing (Ollama
// still loading or evaluating the prompt) is cut as soon as the caller
// gives up, whatever the drain settings.
func TestCutAtOnceBeforeAnything(t *testing.T) {
	ls := startLineServer(t, func(w io.Writer, flush func(), gone <-chan struct{}) error {
		<-gone
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	err := endpoint(t, ls.url, Drain{Quiet: forever, Max: forever}).PostStream(ctx, "/", struct{}{}, readLines(func(string) error { return nil }))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("PostStream = %v, want context.Canceled", err)
	}
	within(t, ls.gone, "the cut")
}

// TestLeftStreamIsReadToItsEnd: a caller that leaves while chunks still
// flow gets its answer at once, and the stream is read to its end rather
// than cut while the server is writing.
func TestLeftStreamIsReadToItsEnd(t *testing.T) {
	proceed := make(chan struct{})
	ls := startLineServer(t, func(w io.Writer, flush func(), gone <-chan struct{}) error {
		fmt.Fprintln(w, "first")
		flush()
		<-proceed
		for i := range 200 {
			if _, err := fmt.Fprintln(w, "line", i); err != nil {
				return err
			}
			flush()
		}
		return nil
	})
	err := endpoint(t, ls.url, Drain{Quiet: forever, Max: forever}).PostStream(context.Background(), "/", struct{}{}, readLines(func(string) error { return errLeave }))
	if !errors.Is(err, errLeave) {
		t.Fatalf("PostStream = %v, want the reader's error", err)
	}
	close(proceed)
	within(t, ls.done, "the end of the stream")
	if ls.writeErr != nil {
		t.Fatalf("the server's writes failed: %v", ls.writeErr)
	}
}

// TestLeftStreamIsCutWhenQuiet: once a left stream has been quiet for
// Drain.Quiet its connection is cut, so Ollama stops generating.
func TestLeftStreamIsCutWhenQuiet(t *testing.T) {
	ls := startLineServer(t, func(w io.Writer, flush func(), gone <-chan struct{}) error {
		fmt.Fprintln(w, "first")
		flush()
		<-gone
		return nil
	})
	err := endpoint(t, ls.url, Drain{Quiet: 5 * time.Millisecond, Max: forever}).PostStream(context.Background(), "/", struct{}{}, readLines(func(string) error { return errLeave }))
	if !errors.Is(err, errLeave) {
		t.Fatalf("PostStream = %v, want the reader's error", err)
	}
	within(t, ls.gone, "the cut of the quiet stream")
}

// TestEndedContextCutsWhenQuiet: a caller whose context ends mid-answer
// gets the context's error, and the quiet stream is cut.
func TestEndedContextCutsWhenQuiet(t *testing.T) {
	ls := startLineServer(t, func(w io.Writer, flush func(), gone <-chan struct{}) error {
		fmt.Fprintln(w, "first")
		flush()
		<-gone
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	err := endpoint(t, ls.url, Drain{Quiet: 5 * time.Millisecond, Max: forever}).PostStream(ctx, "/", struct{}{}, readLines(func(string) error {
		cancel()
		return nil
	}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("PostStream = %v, want context.Canceled", err)
	}
	within(t, ls.gone, "the cut of the quiet stream")
}

// TestFlowingStreamIsCutAfterMax: a left stream that never goes quiet is
// cut after Drain.Max.
func TestFlowingStreamIsCutAfterMax(t *testing.T) {
	ls := startLineServer(t, func(w io.Writer, flush func(), gone <-chan struct{}) error {
		for {
			select {
			case <-gone:
				return nil
			case <-time.After(time.Millisecond):
			}
			fmt.Fprintln(w, "more")
			flush()
		}
	})
	err := endpoint(t, ls.url, Drain{Quiet: forever, Max: 20 * time.Millisecond}).PostStream(context.Background(), "/", struct{}{}, readLines(func(string) error { return errLeave }))
	if !errors.Is(err, errLeave) {
		t.Fatalf("PostStream = %v, want the reader's error", err)
	}
	within(t, ls.gone, "the cut after Max")
}

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// TestUnreadBytesAreNotQuiet: a stream whose reader has not taken the
// bytes waiting in its socket (a busy machine, the reader not scheduled)
// is not cut however long no read brought anything; once the socket is
// drained and nothing more comes, it is.
func TestUnreadBytesAreNotQuiet(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("no way to count a socket's unread bytes on " + runtime.GOOS)
	}
	client, server := tcpPair(t)
	if _, err := server.Write([]byte("a chunk nobody read yet\n")); err != nil {
		t.Fatal(err)
	}
	cut := make(chan struct{})
	s := newStream(func() { close(cut) }, Drain{Quiet: 5 * time.Millisecond, Max: forever})
	s.conn.Store(&client)
	s.reads.Add(1) // something arrived before
	waitFor(t, "the chunk to reach the socket", s.waiting)
	s.abandon()
	select {
	case <-cut:
		t.Fatal("cut while bytes waited in the socket")
	case <-time.After(100 * time.Millisecond): // 20 quiet periods
	}
	if _, err := client.Read(make([]byte, 64)); err != nil {
		t.Fatal(err)
	}
	within(t, cut, "the cut once the socket was drained")
}

// waitFor polls ok until it holds; it only guards against a hang.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen", what)
		}
		time.Sleep(time.Millisecond)
	}
}
