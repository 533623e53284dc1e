// Package web serves the voter's and observer's pages of Tabella: plain
// HTML, CSS and JavaScript with no build step, embedded in the binary,
// and the ballot client compiled from cmd/tabellawasm to WebAssembly.
//
// # Pages
//
//   - /                      elections on the server, or a form to open one
//   - /e/{id}/               the voter page: credential, ballot form (each
//     contest's limits enforced as the voter picks), encryption in the
//     browser, the Benaloh check (e2e/SPEC.md §7.9), casting, the receipt
//     (§8.6) shown and downloadable
//   - /e/{id}/receipt        check a receipt: the checkpoint's signature and
//     the inclusion proof, consistency with the latest checkpoint (§8.3),
//     the entry's tracking code (§7.7), and whether the ballot was counted
//     (§11.6)
//   - /e/{id}/spoiled        open any published checked (spoiled) ballot
//   - /e/{id}/observe        the live board over the websocket feed (§8.7),
//     every entry chained and every checkpoint matched in the browser;
//     trustees, decryption shares, checked ballots, the results as an SVG
//     chart and the record download
//   - /admin                 the officials' console: the official's key
//     file opened in the browser (never sent), the manifest form checked
//     as it is typed by the server's own rules, trustees, the key
//     ceremony followed live, the roll generated in the browser
//     (credentials as CSV and printable letters), open, close, the tally;
//     every action the same signed board entry as `tabella election …`
//
// Before a ballot is cast, the voter page checks that the manifest, joint
// key and ceremony hash it encrypts with are those on the public board
// (entries chained from 0 up to ceremony.result, and the board's signed
// checkpoint consistent with them), so a server cannot give one voter
// another key without signing a forked board.
//
// The pages talk to the service's JSON API under /v1 (the service mounts
// [Handler] at / for everything else). The cryptography runs only in the
// WebAssembly client: the same Go code as the server and the verifier, no
// second implementation. The credential is parsed and used in the browser
// and never sent; only the signed, encrypted ballot is posted.
//
// # Languages
//
// Every text of every page comes from a message catalogue,
// assets/i18n-<lang>.json (English, French, German, Spanish, Italian):
// keys to texts with {name} placeholders, plural texts as CLDR plural
// forms. common.js picks the language (the voter's saved choice, else
// the browser's languages, else English), sets the html lang attribute,
// and re-renders the page in place when the voter switches language in
// the top bar. A key missing from a catalogue falls back to English.
// The tests check that every catalogue has every English key with the
// same placeholders, and that every key a page uses exists.
//
// # Accessibility
//
// The browser tests (e2e/browser_*_test.go) run axe-core (WCAG 2.x A and
// AA, best practices) on every page and state, drive the voting flow by
// keyboard only, and check that no page loses content sideways at 200%
// zoom or on a phone.
//
// # The WebAssembly file
//
// assets/tabella.wasm is generated and committed, so a fresh clone serves
// it. Rebuild it with `go generate ./cmd/tabella/internal/web`; the build
// is reproducible (-trimpath, no build id, same Go version), and CI
// rebuilds it (into $TABELLA_WASM_OUT) and fails if the committed file
// differs. wasm_exec.js is copied from the same Go installation. It is served gzip-compressed when the browser
// accepts it.
//
// # Security headers
//
// Every page is served with a Content-Security-Policy that allows only
// this origin's scripts (plus WebAssembly compilation), no inline script or
// style, no framing, and Referrer-Policy no-referrer.
package web

//go:generate go run ./gen

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

//go:embed assets
var assets embed.FS

// csp is the Content-Security-Policy of every response.
const csp = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// electionPath matches /e/{id}/ and its pages; the id rule is that of
// e2e/SPEC.md §8.1.
var electionPath = regexp.MustCompile(`^/e/([a-z0-9][a-z0-9._-]{0,63})/(|receipt|spoiled|observe)$`)

// electionRoot is /e/{id} without the slash, redirected to the voter page.
var electionRoot = regexp.MustCompile(`^/e/[a-z0-9][a-z0-9._-]{0,63}$`)

// asset is one embedded file, with its gzip form when that is smaller.
type asset struct {
	name, ctype, etag string
	plain, gz         []byte
}

var (
	loadOnce sync.Once
	files    map[string]*asset
)

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".wasm": "application/wasm",
	".json": "application/json",
}

// load reads and compresses the embedded assets once.
func load() {
	files = map[string]*asset{}
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic("web: internal error: embedded assets: " + err.Error())
	}
	ents, err := fs.ReadDir(sub, ".")
	if err != nil {
		panic("web: internal error: embedded assets: " + err.Error())
	}
	for _, e := range ents {
		data, err := fs.ReadFile(sub, e.Name())
		if err != nil {
			panic("web: internal error: embedded asset " + e.Name() + ": " + err.Error())
		}
		ct, ok := contentTypes[path.Ext(e.Name())]
		if !ok {
			continue
		}
		sum := sha256.Sum256(data)
		a := &asset{name: e.Name(), ctype: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, plain: data}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(data)
		zw.Close()
		if buf.Len() < len(data) {
			a.gz = buf.Bytes()
		}
		files[e.Name()] = a
	}
}

// Handler returns the handler of the web pages and their assets. It serves
// GET and HEAD only; the service mounts it at / for everything that is not
// under /v1 or /healthz.
func Handler() http.Handler {
	loadOnce.Do(load)
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	switch {
	case p == "/" || p == "/index.html":
		serveAsset(w, r, files["index.html"], "no-cache")
	case strings.HasPrefix(p, "/assets/"):
		a := files[strings.TrimPrefix(p, "/assets/")]
		if a == nil || strings.HasSuffix(p, ".html") {
			http.NotFound(w, r)
			return
		}
		serveAsset(w, r, a, "no-cache")
	case electionPath.MatchString(p):
		page := map[string]string{"": "vote.html", "receipt": "receipt.html", "spoiled": "spoiled.html", "observe": "observe.html"}[electionPath.FindStringSubmatch(p)[2]]
		serveAsset(w, r, files[page], "no-cache")
	case p == "/admin" || p == "/admin/":
		serveAsset(w, r, files["admin.html"], "no-cache")
	case electionRoot.MatchString(p):
		http.Redirect(w, r, p+"/", http.StatusMovedPermanently)
	default:
		http.NotFound(w, r)
	}
}

// serveAsset writes a, gzip-compressed if the client accepts it, with an
// ETag so that a reload revalidates instead of downloading again.
func serveAsset(w http.ResponseWriter, r *http.Request, a *asset, cache string) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", cache)
	h.Set("ETag", a.etag)
	h.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.plain
	if a.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip
// (a q=0 refusal counts as no).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
