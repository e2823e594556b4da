package ollamatest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Registry is a stand-in for an OCI model registry, served over plain
// HTTP to a real Ollama (pulled with insecure: true): it offers the
// tiny model under library/<name>:latest with the layers a running
// ollamatest server holds, plus an extra layer of its own, so that
// Ollama, which has the tiny model's blobs already, still downloads
// something. A throttled registry sends that layer slowly, for a pull
// to be cancelled half way.
type Registry struct {
	*httptest.Server
	// Host is host:port, the prefix of the model names pulled from it.
	Host string
	// Requests counts the blob downloads begun.
	Requests atomic.Int64
	// StorageDown, when set, sends blob downloads to a port nothing
	// listens on: a pull then fails as on a broken network.
	StorageDown atomic.Bool
}

// StartRegistry serves ModelTiny of ol as library/name:latest, with
// extra bytes of an added license layer; delay is slept every 64 KiB of
// that layer. It stops when the test ends.
func StartRegistry(t testing.TB, ol *Server, name string, extra int, delay time.Duration) *Registry {
	t.Helper()
	models := filepath.Join(ol.Dir, "models")
	data, err := os.ReadFile(filepath.Join(models, "manifests", "registry.ollama.ai", "library", ModelTiny, "latest"))
	if err != nil {
		t.Fatalf("read the tiny model's manifest: %v", err)
	}
	var manifest map[string]any
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}
	license := bytes.Repeat([]byte("clawbridge test license layer\n"), extra/30+1)[:extra]
	sum := sha256.Sum256(license)
	licenseDigest := "sha256:" + hex.EncodeToString(sum[:])
	manifest["layers"] = append(manifest["layers"].([]any), map[string]any{
		"mediaType": "application/vnd.ollama.image.license", "digest": licenseDigest, "size": len(license)})
	served, _ := json.Marshal(manifest)

	r := &Registry{}
	mux := http.NewServeMux()
	mux.HandleFunc("/v2/library/{model}/manifests/{tag}", func(w http.ResponseWriter, req *http.Request) {
		if req.PathValue("model") != name {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
		w.Write(served)
	})
	// Registries answer a blob with a redirect to its storage, which
	// Ollama requires (it reads the Location): here the same server under
	// another host name.
	mux.HandleFunc("/v2/library/{model}/blobs/{digest}", func(w http.ResponseWriter, req *http.Request) {
		_, port, _ := strings.Cut(req.Host, ":")
		if r.StorageDown.Load() {
			port = "1" // tcpmux, which nothing serves
		}
		w.Header().Set("Location", "http://localhost:"+port+"/storage/"+req.PathValue("digest"))
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/storage/{digest}", func(w http.ResponseWriter, req *http.Request) {
		digest := req.PathValue("digest")
		var content io.ReadSeeker
		if digest == licenseDigest {
			content = &slowReader{r: bytes.NewReader(license), delay: delay}
		} else {
			blob, err := os.ReadFile(filepath.Join(models, "blobs", strings.Replace(digest, ":", "-", 1)))
			if err != nil {
				http.NotFound(w, req)
				return
			}
			content = bytes.NewReader(blob)
		}
		if req.Method == http.MethodGet {
			r.Requests.Add(1)
		}
		http.ServeContent(w, req, "", time.Time{}, content)
	})
	r.Server = httptest.NewServer(mux)
	t.Cleanup(r.Close)
	r.Host = strings.TrimPrefix(r.URL, "http://")
	return r
}

// Model is the name Ollama pulls the model served as name by.
func (r *Registry) Model(name string) string { return r.Host + "/library/" + name + ":latest" }

// slowReader sleeps delay after every 64 KiB read.
type slowReader struct {
	r     *bytes.Reader
	delay time.Duration
	read  int
}

func (s *slowReader) Read(p []byte) (int, error) {
	if s.delay > 0 && len(p) > 64<<10 {
		p = p[:64<<10]
	}
	n, err := s.r.Read(p)
	s.read += n
	if s.delay > 0 && n > 0 {
		time.Sleep(s.delay)
	}
	return n, err
}

func (s *slowReader) Seek(off int64, whence int) (int64, error) { return s.r.Seek(off, whence) }
