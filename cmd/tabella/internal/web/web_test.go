package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, method, path string, hdr ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	Handler().ServeHTTP(w, r)
	return w.Result()
}

func TestPages(t *testing.T) {
	for path, want := range map[string]string{
		"/":                  "Verifiable elections",
		"/e/demo-1/":         `id="step-ballot"`,
		"/e/demo-1/receipt":  `id="receipt-form"`,
		"/e/demo-1/spoiled":  `id="lookup"`,
		"/e/demo-1/observe":  `id="entries"`,
		"/assets/style.css":  ":root",
		"/assets/vote.js":    "checkCredential",
		"/assets/common.js":  "compileStreaming",
		"/assets/logo.svg":   "<svg",
		"/assets/observe.js": "observeFeed",
	} {
		resp := get(t, "GET", path)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, body without %q", path, resp.StatusCode, want)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' 'wasm-unsafe-eval'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
		if resp.Header.Get("Referrer-Policy") != "no-referrer" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: missing security headers", path)
		}
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	for _, path := range []string{"/e/", "/e/UPPER/", "/e/demo/other", "/assets/nope.js", "/assets/", "/assets/vote.html", "/etc/passwd", "/assets/../web.go", "/e/-x/"} {
		if resp := get(t, "GET", path); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	if resp := get(t, "POST", "/e/demo/"); resp.StatusCode != 405 {
		t.Errorf("POST: %d, want 405", resp.StatusCode)
	}
	if resp := get(t, "GET", "/e/demo"); resp.StatusCode != 301 || resp.Header.Get("Location") != "/e/demo/" {
		t.Errorf("GET /e/demo: %d to %q, want a redirect to /e/demo/", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestWasmServedCompressed(t *testing.T) {
	plain := get(t, "GET", "/assets/tabella.wasm")
	raw, _ := io.ReadAll(plain.Body)
	if plain.Header.Get("Content-Type") != "application/wasm" || plain.Header.Get("Content-Encoding") != "" {
		t.Fatalf("wasm without gzip: type %q encoding %q", plain.Header.Get("Content-Type"), plain.Header.Get("Content-Encoding"))
	}
	if !bytes.HasPrefix(raw, []byte("\x00asm")) {
		t.Fatal("tabella.wasm is not a WebAssembly module")
	}
	gz := get(t, "GET", "/assets/tabella.wasm", "Accept-Encoding", "br, gzip;q=0.8")
	if gz.Header.Get("Content-Encoding") != "gzip" || gz.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("wasm with gzip accepted: encoding %q vary %q", gz.Header.Get("Content-Encoding"), gz.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	unz, _ := io.ReadAll(zr)
	if !bytes.Equal(unz, raw) {
		t.Fatal("the gzip body does not decompress to the module")
	}
	t.Logf("tabella.wasm: %d bytes, %s gzip", len(raw), gz.Header.Get("Content-Length"))
	if refused := get(t, "GET", "/assets/tabella.wasm", "Accept-Encoding", "gzip;q=0"); refused.Header.Get("Content-Encoding") != "" {
		t.Fatal("gzip sent to a client that refused it")
	}
	// Revalidation: the ETag answers 304.
	if nm := get(t, "GET", "/assets/tabella.wasm", "If-None-Match", plain.Header.Get("ETag")); nm.StatusCode != 304 {
		t.Fatalf("If-None-Match: %d, want 304", nm.StatusCode)
	}
	if head := get(t, "HEAD", "/assets/tabella.wasm"); head.StatusCode != 200 {
		t.Fatalf("HEAD: %d", head.StatusCode)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{"": false, "gzip": true, "GZIP": true, "br": false, "deflate, gzip;q=0.5": true, "gzip;q=0": false, "gzip; q=0.000": false, "x-gzip": false} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Encoding", h)
		if got := acceptsGzip(r); got != want {
			t.Errorf("Accept-Encoding %q: %v, want %v", h, got, want)
		}
	}
}
